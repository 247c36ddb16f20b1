
namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// What a recording of <see cref="ProcessFootprint"/>s says about growth after a warm-up: the reading at the end of
/// the warm-up (the baseline), the last one, the largest RSS and fd count from the baseline on, and least-squares
/// slopes over those readings: of RSS, and of the two parts that can grow in a .NET daemon, anonymous memory (heaps)
/// and JIT'ed code.
/// </summary>
/// <param name="Baseline">The last reading taken at or before the end of the warm-up.</param>
/// <param name="End">The last reading.</param>
/// <param name="MaxRssKib">The largest VmRSS from the baseline on.</param>
/// <param name="MaxFds">The most open descriptors from the baseline on.</param>
/// <param name="MaxThreads">The most threads from the baseline on.</param>
/// <param name="RssSlopeKibPerMinute">Least-squares slope of VmRSS over time from the baseline on.</param>
/// <param name="RssAnonSlopeKibPerMinute">The same for RssAnon.</param>
/// <param name="JitCodeSlopeKibPerMinute">The same for the JIT'ed code (<see cref="ProcessFootprint.JitCodeKib"/>).</param>
/// <param name="SteadySamples">How many readings from the baseline on (the baseline included).</param>
public sealed record FootprintTrend(
    ProcessFootprint Baseline,
    ProcessFootprint End,
    long MaxRssKib,
    int MaxFds,
    int MaxThreads,
    double RssSlopeKibPerMinute,
    double RssAnonSlopeKibPerMinute,
    double JitCodeSlopeKibPerMinute,
    int SteadySamples)
{
    /// <summary>Analyses <paramref name="samples"/> (oldest first) with a warm-up of <paramref name="warmup"/> from the first reading's clock.</summary>
    /// <exception cref="ArgumentException">No reading at or before the end of the warm-up, or fewer than two from it on.</exception>
    public static FootprintTrend Analyse(IReadOnlyList<ProcessFootprint> samples, TimeSpan warmup)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var baselineIndex = -1;
        for (var i = 0; i < samples.Count && samples[i].At <= warmup; i++)
            baselineIndex = i;
        if (baselineIndex < 0)
            throw new ArgumentException($"no reading at or before the end of the {warmup.TotalSeconds:0} s warm-up", nameof(samples));
        var steady = samples.Skip(baselineIndex).ToList();
        if (steady.Count < 2)
            throw new ArgumentException($"only {steady.Count} reading(s) from the end of the warm-up on: no trend", nameof(samples));
        return new FootprintTrend(
            samples[baselineIndex],
            samples[^1],
            steady.Max(s => s.RssKib),
            steady.Max(s => s.Fds),
            steady.Max(s => s.Threads),
            Slope(steady, s => s.RssKib),
            Slope(steady, s => s.RssAnonKib),
            Slope(steady, s => s.JitCodeKib),
            steady.Count);
    }

    private static double Slope(List<ProcessFootprint> samples, Func<ProcessFootprint, long> kib) =>
        LeastSquaresSlope([.. samples.Select(s => (s.At.TotalMinutes, (double)kib(s)))]);

    /// <summary>The slope b of the least-squares line y = a + b·x through <paramref name="points"/> (0 if every x is the same).</summary>
    public static double LeastSquaresSlope(IReadOnlyList<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0)
            return 0;
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        double sxy = 0, sxx = 0;
        foreach (var (x, y) in points)
        {
            sxy += (x - meanX) * (y - meanY);
            sxx += (x - meanX) * (x - meanX);
        }
        return sxx == 0 ? 0 : sxy / sxx;
    }
}
