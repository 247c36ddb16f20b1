using System.Text.RegularExpressions;
using Ballast.GuestLab;

namespace Ballast.Cli.Output;

/// <summary>
/// Follows <c>guest/ensure.sh</c>'s log lines during <c>ballast guest-bench</c>'s first-run build and says how far it
/// is, for its progress bar. Each step of the <see cref="GuestBuildPlan"/> has a weight, a rough share of a cold build
/// on 2 cores in which the kernel dominates (packages 10, kernel 70, module 3, initramfs 5, QEMU chroot 12; estimates,
/// not measured per step); a step counts once ensure.sh says it is done
/// (<c>kernel KEY: built in N s</c>), the chroot halfway once its QEMU package is being installed.
/// </summary>
/// <remarks>
/// The percentage is of steps, not a time estimate: during the kernel build it stands still while the elapsed time runs.
/// </remarks>
public sealed partial class GuestBuildTracker
{
    private static readonly (string Step, double Weight)[] s_weights =
    [
        ("packages", 10), (GuestBuildPlan.Kernel, 70), (GuestBuildPlan.Module, 3), (GuestBuildPlan.Initrd, 5), (GuestBuildPlan.Qemu, 12),
    ];

    private readonly Action<double, string> _update;
    private readonly Dictionary<string, double> _weights;
    private readonly Dictionary<string, double> _done = new(StringComparer.Ordinal);
    private readonly double _total;
    private readonly Lock _lock = new();

    /// <summary>A tracker of <paramref name="plan"/> that reports (fraction, text) to <paramref name="update"/>.</summary>
    public GuestBuildTracker(GuestBuildPlan plan, Action<double, string> update)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(update);
        _update = update;
        _weights = s_weights
            .Where(w => w.Step == "packages" ? plan.Packages.Count > 0 : plan.Builds.Contains(w.Step))
            .ToDictionary(w => w.Step, w => w.Weight, StringComparer.Ordinal);
        _total = Math.Max(1, _weights.Values.Sum());
    }

    /// <summary>The fraction of the build done so far, 0 to 1.</summary>
    public double Fraction
    {
        get
        {
            lock (_lock)
                return _done.Sum(d => d.Value) / _total;
        }
    }

    /// <summary>Reads one log line of ensure.sh (or the scripts it runs); updates the bar if the line marks a step.</summary>
    public void Observe(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string? text = null;
        lock (_lock)
        {
            if (StepLine().Match(line) is { Success: true } step && _weights.TryGetValue(step.Groups["kind"].Value, out var weight))
            {
                var kind = step.Groups["kind"].Value;
                if (step.Groups["what"].Value == "building")
                {
                    text = $"building the {Name(kind)}";
                }
                else
                {
                    _done[kind] = weight;
                    text = $"{Name(kind)} {(step.Groups["what"].Value == "cached" ? "cached" : "built")}";
                }
            }
            else if (line.Contains("] installing ", StringComparison.Ordinal) && line.Contains("-backports", StringComparison.Ordinal)
                && _weights.TryGetValue(GuestBuildPlan.Qemu, out var qemu))
            {
                _done[GuestBuildPlan.Qemu] = qemu / 2;
                text = "QEMU chroot: installing QEMU";
            }
            else if (line.Contains("] debootstrap ", StringComparison.Ordinal) && _weights.ContainsKey(GuestBuildPlan.Qemu))
            {
                // The packages are installed by now (ensure.sh installs them before anything else).
                if (_weights.TryGetValue("packages", out var packages))
                    _done["packages"] = packages;
                text = "QEMU chroot: debootstrap";
            }
            else if (line.Contains("] installing ", StringComparison.Ordinal) && _weights.ContainsKey("packages"))
            {
                text = "installing Debian packages";
            }
            else if (line.Contains("] ready in ", StringComparison.Ordinal))
            {
                foreach (var (name, w) in _weights)
                    _done[name] = w;
                text = "ready";
            }

            if (text is null)
                return;
            // A step underway means the packages are in.
            if (!text.StartsWith("installing", StringComparison.Ordinal) && _weights.TryGetValue("packages", out var p))
                _done["packages"] = p;
        }
        _update(Fraction, $"first-run build: {text}");
    }

    private static string Name(string kind) => kind switch
    {
        GuestBuildPlan.Kernel => "guest kernel",
        GuestBuildPlan.Module => "balloon module",
        GuestBuildPlan.Initrd => "initramfs",
        _ => kind,
    };

    /// <summary>ensure.sh's <c>build</c>: <c>KIND KEY: building</c>, <c>KIND KEY: built in N s</c>, <c>KIND KEY: cached</c>.</summary>
    [GeneratedRegex(@"\] (?<kind>kernel|module|initrd) [0-9a-f]+: (?<what>building|built in|cached)")]
    private static partial Regex StepLine();
}
