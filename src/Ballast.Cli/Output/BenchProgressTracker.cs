using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;

namespace Ballast.Cli.Output;

/// <summary>
/// Turns the engine's <see cref="BenchProgress"/> reports into how far the whole bench is, for its progress bar:
/// the bench is <c>backings × repeat × (modes + 1)</c> equal steps (every mode's run, then the floor), and within a
/// mode's run the restore is its first 5%, the inflate the next 55% and the deflate the last 40% (reporting: 95%) by
/// bytes done.
/// </summary>
/// <remarks>
/// Steps are counted, not timed: <c>pfn-per-page</c> takes longer than <c>sg</c>, so the percentage moves faster in
/// some steps than in others; the bar's clock shows the time. A step starts with a <see cref="BenchPhases.Restore"/>
/// report (a mode) or a <c>floor</c> report. The fraction never goes back.
/// </remarks>
public sealed class BenchProgressTracker : IProgress<BenchProgress>
{
    private readonly Action<double, string> _update;
    private readonly Lock _lock = new();
    private int _started;
    private double _fraction;

    /// <summary>A tracker for a bench with <paramref name="options"/> that reports to <paramref name="update"/> (fraction, text).</summary>
    public BenchProgressTracker(BenchOptions options, Action<double, string> update)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(update);
        Steps = Math.Max(1, options.Backings.Count * options.Repeat * (options.Modes.Count + 1));
        _update = update;
    }

    /// <summary>How many steps the bench has.</summary>
    public int Steps { get; }

    /// <summary>The fraction of the bench done so far, 0 to 1.</summary>
    public double Fraction
    {
        get
        {
            lock (_lock)
                return _fraction;
        }
    }

    /// <inheritdoc/>
    public void Report(BenchProgress value)
    {
        double fraction;
        string text;
        lock (_lock)
        {
            if (value.Phase is BenchPhases.Restore or "floor" || _started == 0)
                _started++;
            var done = value.BytesTotal > 0 ? Math.Clamp((double)value.BytesDone / value.BytesTotal, 0, 1) : 0;
            var within = value.Phase switch
            {
                BenchPhases.Inflate => 0.05 + (0.55 * done),
                BenchPhases.Deflate => 0.60 + (0.40 * done),
                BenchPhases.Report => 0.05 + (0.95 * done),
                _ => 0,
            };
            _fraction = Math.Max(_fraction, Math.Clamp((_started - 1 + within) / Steps, 0, 1));
            fraction = _fraction;
            text = Describe(value, Math.Min(_started, Steps), Steps);
        }
        _update(fraction, text);
    }

    /// <summary>The bar's text: <c>step 2/4 sg: inflate 1234/7168 MiB</c>, or <c>step 4/4 floor</c>.</summary>
    public static string Describe(BenchProgress value, int step, int steps)
    {
        var what = value.Phase == "floor"
            ? "floor"
            : $"{BenchModes.Name(value.Mode)}: {value.Phase}" + (value.BytesTotal > 0
                ? $" {SizeFormatter.WholeMiB(value.BytesDone)}/{SizeFormatter.WholeMiB(value.BytesTotal)} MiB"
                : string.Empty);
        return $"step {step}/{steps} {what}";
    }
}
