using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.GuestLab;

/// <summary>
/// The real-guest artifacts as <c>guest/ensure.sh</c> reports them (guest/README.md "ensure.sh output"): the QEMU
/// chroot, the kernel and initramfs (host paths and paths inside the chroot) and the run directory. Use
/// <see cref="EnsureAsync"/>: it builds whatever is missing (≈ 7 min cold, ≈ 100 ms warm).
/// </summary>
public sealed class GuestEnvironment
{
    /// <summary>Environment variable naming the repository root (the directory holding <c>guest/</c>).</summary>
    public const string RepoVariable = "BALLAST_REPO";

    /// <summary>The script, relative to the repository root.</summary>
    public const string EnsureScript = "guest/ensure.sh";

    /// <summary>How long <see cref="EnsureAsync"/> lets ensure.sh build by default (a cold build is ≈ 7 minutes).</summary>
    public static readonly TimeSpan DefaultEnsureTimeout = TimeSpan.FromMinutes(20);

    /// <summary>Keys that must be in ensure.sh's output.</summary>
    public static IReadOnlyList<string> RequiredKeys { get; } =
        ["QEMU_ROOT", "QEMU", "QEMU_VERSION", "KERNEL", "KERNEL_IN_ROOT", "INITRD", "INITRD_IN_ROOT", "RUN_DIR"];

    private GuestEnvironment(IReadOnlyDictionary<string, string> values) => Values = values;

    /// <summary>Every <c>KEY=VALUE</c> line ensure.sh printed.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>QEMU_ROOT: the trixie chroot QEMU runs in.</summary>
    public string QemuRoot => Values["QEMU_ROOT"];

    /// <summary>QEMU: the QEMU binary, a path inside <see cref="QemuRoot"/>.</summary>
    public string Qemu => Values["QEMU"];

    /// <summary>QEMU_VERSION, e.g. 11.1.3.</summary>
    public string QemuVersion => Values["QEMU_VERSION"];

    /// <summary>KERNEL_IN_ROOT: what QEMU's <c>-kernel</c> gets.</summary>
    public string KernelInRoot => Values["KERNEL_IN_ROOT"];

    /// <summary>INITRD_IN_ROOT: what QEMU's <c>-initrd</c> gets.</summary>
    public string InitrdInRoot => Values["INITRD_IN_ROOT"];

    /// <summary>
    /// DEBIAN_KERNEL_IN_ROOT: Debian's prebuilt kernel for <c>-kernel</c> (<c>ensure.sh --debian-kernel</c>, see
    /// <see cref="EnsureDebianKernelArgument"/>); null without it.
    /// </summary>
    public string? DebianKernelInRoot => Values.GetValueOrDefault("DEBIAN_KERNEL_IN_ROOT");

    /// <summary>DEBIAN_INITRD_IN_ROOT: the initramfs carrying that kernel's virtio modules; null without it.</summary>
    public string? DebianInitrdInRoot => Values.GetValueOrDefault("DEBIAN_INITRD_IN_ROOT");

    /// <summary>The ensure.sh argument that adds Debian's prebuilt kernel and its initramfs (the <c>DEBIAN_*</c> lines).</summary>
    public const string EnsureDebianKernelArgument = "--debian-kernel";

    /// <summary>RUN_DIR: host path of the directory (inside <see cref="QemuRoot"/>) that holds one directory per guest.</summary>
    public string RunDirectory => Values["RUN_DIR"];

    /// <summary>
    /// Parses ensure.sh's standard output: one <c>KEY=VALUE</c> per line (the value may contain '='), other lines
    /// ignored. Throws <see cref="FormatException"/> if one of <see cref="RequiredKeys"/> is missing.
    /// </summary>
    public static GuestEnvironment Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !line[..eq].All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_'))
                continue;
            values[line[..eq]] = line[(eq + 1)..];
        }
        var missing = RequiredKeys.Where(key => !values.ContainsKey(key) || values[key].Length == 0).ToList();
        if (missing.Count > 0)
            throw new FormatException($"{EnsureScript} did not print {string.Join(", ", missing)}; its output was:\n{output}");
        return new GuestEnvironment(values);
    }

    /// <summary>
    /// The repository's <c>guest/</c> directory: <c>$BALLAST_REPO/guest</c> if that variable is set, otherwise the
    /// first ancestor of this assembly's directory (or of the working directory) that holds <c>guest/ensure.sh</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Neither finds it.</exception>
    public static string FindGuestDirectory()
    {
        var repo = Environment.GetEnvironmentVariable(RepoVariable);
        if (!string.IsNullOrEmpty(repo))
        {
            var script = Path.Combine(repo, EnsureScript);
            return File.Exists(script)
                ? Path.GetDirectoryName(Path.GetFullPath(script))!
                : throw new DirectoryNotFoundException($"{RepoVariable}={repo}, but {script} does not exist");
        }
        var starts = new[] { Path.GetDirectoryName(typeof(GuestEnvironment).Assembly.Location), AppContext.BaseDirectory, Environment.CurrentDirectory };
        foreach (var start in starts.Where(s => !string.IsNullOrEmpty(s)))
        {
            for (var dir = new DirectoryInfo(start!); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, EnsureScript)))
                    return Path.Combine(dir.FullName, "guest");
            }
        }
        throw new DirectoryNotFoundException(
            $"cannot find {EnsureScript} above {string.Join(" or ", starts.Distinct())}; set {RepoVariable} to the repository root");
    }

    /// <summary>
    /// Runs <c>guest/ensure.sh</c> (building kernel, initramfs and QEMU chroot if missing) and parses its output.
    /// It runs in a session of its own, so on time-out or cancellation its whole process group — the builds it
    /// started and nothing else — is stopped.
    /// </summary>
    /// <param name="guestDirectory">The <c>guest/</c> directory; <see cref="FindGuestDirectory"/> if null.</param>
    /// <param name="timeout">At most this long; <see cref="DefaultEnsureTimeout"/> if null.</param>
    /// <param name="log">Receives ensure.sh's log lines (its standard error) as they come.</param>
    /// <param name="ct">Cancels the build.</param>
    /// <param name="arguments">ensure.sh's arguments, e.g. <see cref="EnsureDebianKernelArgument"/>.</param>
    /// <exception cref="InvalidOperationException">ensure.sh failed (the message carries its last log lines).</exception>
    /// <exception cref="TimeoutException">It did not finish in time.</exception>
    public static async Task<GuestEnvironment> EnsureAsync(string? guestDirectory = null, TimeSpan? timeout = null, Action<string>? log = null,
        CancellationToken ct = default, IReadOnlyList<string>? arguments = null)
    {
        guestDirectory ??= FindGuestDirectory();
        var script = Path.Combine(guestDirectory, "ensure.sh");
        if (!File.Exists(script))
            throw new FileNotFoundException($"{script} does not exist", script);
        var limit = timeout ?? DefaultEnsureTimeout;
        // setsid: a new session and process group led by ensure.sh itself (no fork: we are not a group leader).
        await using var process = ChildProcess.Start("setsid", [script, .. arguments ?? []], "guest/ensure.sh", log);
        bool exited;
        try
        {
            exited = await process.WaitForExitAsync(limit, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            StopGroup(process);
            throw;
        }
        if (!exited)
        {
            StopGroup(process);
            throw new TimeoutException($"{script} did not finish within {limit.TotalMinutes:0} minutes; its last lines:\n{process.Tail(30)}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed with exit status {process.ExitCode}:\n{process.Tail(40)}");
        return Parse(string.Join('\n', process.StandardOutputLines()));
    }

    /// <summary>The argument of ensure.sh that prints what a run would install and build, changing nothing.</summary>
    public const string EnsurePlanArgument = "--plan";

    /// <summary>
    /// What <see cref="EnsureAsync"/> would install and build (<c>ensure.sh --plan</c>: reads dpkg and the cache only,
    /// takes no lock, needs no root; well under a second).
    /// </summary>
    /// <param name="guestDirectory">The <c>guest/</c> directory; <see cref="FindGuestDirectory"/> if null.</param>
    /// <param name="ct">Stops the script.</param>
    public static async Task<GuestBuildPlan> PlanAsync(string? guestDirectory = null, CancellationToken ct = default)
    {
        guestDirectory ??= FindGuestDirectory();
        var script = Path.Combine(guestDirectory, "ensure.sh");
        if (!File.Exists(script))
            throw new FileNotFoundException($"{script} does not exist", script);
        await using var process = ChildProcess.Start(script, [EnsurePlanArgument], "guest/ensure.sh --plan");
        if (!await process.WaitForExitAsync(TimeSpan.FromMinutes(1), ct).ConfigureAwait(false))
            throw new TimeoutException($"{script} {EnsurePlanArgument} did not finish within a minute");
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {EnsurePlanArgument} failed with exit status {process.ExitCode}:\n{process.Tail(20)}");
        return GuestBuildPlan.Parse(string.Join('\n', process.StandardOutputLines()));
    }

    /// <summary>SIGTERM to ensure.sh's process group if it leads one (it does, under setsid), else to it alone.</summary>
    private static void StopGroup(ChildProcess process)
    {
        if (process.HasExited)
            return;
        if (Libc.getpgid(process.Pid) == process.Pid)
        {
            if (Libc.kill(-process.Pid, Libc.SIGTERM) != 0 && Marshal.GetLastPInvokeError() != Libc.ESRCH)
                process.Signal(Libc.SIGTERM);
        }
        else
        {
            process.Signal(Libc.SIGTERM);
        }
    }

    /// <summary>The path QEMU (inside the chroot) sees for <paramref name="hostPath"/>, which must lie inside <see cref="QemuRoot"/>.</summary>
    public string InRoot(string hostPath)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(QemuRoot));
        var full = Path.GetFullPath(hostPath);
        if (!full.StartsWith(root + "/", StringComparison.Ordinal))
            throw new ArgumentException($"{hostPath} is not inside QEMU_ROOT {root}", nameof(hostPath));
        return full[root.Length..];
    }
}
