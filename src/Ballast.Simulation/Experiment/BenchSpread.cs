namespace Ballast.Simulation.Experiment;

/// <summary>
/// How the timed figures of one mode on one backing varied over <c>--repeat N</c> — one element of <c>spread</c> in
/// <c>ballast bench --json</c> (snake_case: <see cref="TotalMs"/> ↔ <c>total_ms</c>). The medians are what
/// <see cref="MedianAggregator"/> prints; this says how far the runs behind them lay apart.
/// </summary>
public sealed record BenchSpread
{
    /// <summary><c>mode</c>.</summary>
    public required BenchMode Mode { get; init; }

    /// <summary><c>backing</c>.</summary>
    public required BenchBacking Backing { get; init; }

    /// <summary><c>count</c>: how many runs the figures are over.</summary>
    public required int Count { get; init; }

    /// <summary><c>total_ms</c>.</summary>
    public required SpreadFigures TotalMs { get; init; }

    /// <summary><c>alloc_ms</c>.</summary>
    public required SpreadFigures AllocMs { get; init; }

    /// <summary><c>send_ms</c>.</summary>
    public required SpreadFigures SendMs { get; init; }

    /// <summary><c>translate_ms</c>.</summary>
    public required SpreadFigures TranslateMs { get; init; }

    /// <summary><c>release_ms</c>.</summary>
    public required SpreadFigures ReleaseMs { get; init; }

    /// <summary><c>deflate_ms</c>.</summary>
    public required SpreadFigures DeflateMs { get; init; }

    /// <summary>One spread per mode and backing of <paramref name="report"/>'s runs, in the order they first appear.</summary>
    public static IReadOnlyList<BenchSpread> Of(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return [.. report.Runs.GroupBy(run => (run.Backing, run.Mode)).Select(group => Of([.. group]))];
    }

    /// <summary>The spread of <paramref name="runs"/>, all of one mode and backing.</summary>
    /// <exception cref="ArgumentException"><paramref name="runs"/> is empty or mixes modes or backings.</exception>
    public static BenchSpread Of(IReadOnlyList<BenchRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
            throw new ArgumentException("no runs", nameof(runs));
        if (runs.Any(run => run.Mode != runs[0].Mode || run.Backing != runs[0].Backing))
            throw new ArgumentException("runs of different modes or backings have no common spread", nameof(runs));
        SpreadFigures Field(Func<BenchRun, double> field) => SpreadFigures.Of([.. runs.Select(field)]);
        return new BenchSpread
        {
            Mode = runs[0].Mode,
            Backing = runs[0].Backing,
            Count = runs.Count,
            TotalMs = Field(run => run.TotalMs),
            AllocMs = Field(run => run.AllocMs),
            SendMs = Field(run => run.SendMs),
            TranslateMs = Field(run => run.TranslateMs),
            ReleaseMs = Field(run => run.ReleaseMs),
            DeflateMs = Field(run => run.DeflateMs),
        };
    }

    /// <summary>Every figure rounded with <paramref name="round"/> (for output).</summary>
    public BenchSpread Map(Func<double, double> round) => this with
    {
        TotalMs = TotalMs.Map(round),
        AllocMs = AllocMs.Map(round),
        SendMs = SendMs.Map(round),
        TranslateMs = TranslateMs.Map(round),
        ReleaseMs = ReleaseMs.Map(round),
        DeflateMs = DeflateMs.Map(round),
    };
}
