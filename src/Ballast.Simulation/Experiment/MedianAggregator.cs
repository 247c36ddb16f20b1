
namespace Ballast.Simulation.Experiment;

/// <summary>
/// Reduces the repeated runs of <c>ballast bench --repeat N</c> to one run per mode and backing, taking the
/// median of each field on its own.
/// </summary>
/// <remarks>
/// Per-field medians need not come from the same run, so the median stages need not add up to
/// the median total; each figure is still the typical one. With an even number of runs the median
/// is the mean of the two middle values (rounded down for counts and byte sizes). Integrity is not
/// a median: it is <see cref="BenchRun.IntegrityOk"/> only if every run was, else the first failure,
/// so a repeat cannot hide a broken run.
/// </remarks>
public static class MedianAggregator
{
    /// <summary>
    /// One median run per mode and backing, in the order they first appear in <paramref name="report"/>;
    /// the header fields and floor are kept as they are.
    /// </summary>
    public static BenchReport Aggregate(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var byMode = report.Runs
            .GroupBy(run => (run.Backing, run.Mode))
            .Select(group => Aggregate([.. group]))
            .ToList();
        return report with { Runs = byMode };
    }

    /// <summary>The median of <paramref name="runs"/>, which must all be of one mode.</summary>
    /// <exception cref="ArgumentException"><paramref name="runs"/> is empty or mixes modes.</exception>
    public static BenchRun Aggregate(IReadOnlyList<BenchRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
            throw new ArgumentException("no runs to aggregate", nameof(runs));
        var mode = runs[0].Mode;
        if (runs.Any(run => run.Mode != mode))
            throw new ArgumentException("runs of different modes cannot be aggregated together", nameof(runs));
        if (runs.Any(run => run.Backing != runs[0].Backing))
            throw new ArgumentException("runs on different backings cannot be aggregated together", nameof(runs));
        if (runs.Count == 1)
            return runs[0];

        return new BenchRun
        {
            Mode = mode,
            TotalMs = Median(runs, run => run.TotalMs),
            AllocMs = Median(runs, run => run.AllocMs),
            SendMs = Median(runs, run => run.SendMs),
            TranslateMs = Median(runs, run => run.TranslateMs),
            ReleaseMs = Median(runs, run => run.ReleaseMs),
            DeflateMs = Median(runs, run => run.DeflateMs),
            Pages = Median(runs, run => run.Pages),
            Buffers = Median(runs, run => run.Buffers),
            Kicks = Median(runs, run => run.Kicks),
            Runs = Median(runs, run => run.Runs),
            ReleaseCalls = Median(runs, run => run.ReleaseCalls),
            HostBytesBefore = Median(runs, run => run.HostBytesBefore),
            HostBytesAfter = Median(runs, run => run.HostBytesAfter),
            Integrity = runs.FirstOrDefault(run => run.Integrity != BenchRun.IntegrityOk)?.Integrity ?? BenchRun.IntegrityOk,
            Backing = runs[0].Backing,
            ReleaseGranularity = runs[0].ReleaseGranularity,
            HostPageSize = Median(runs, run => run.HostPageSize),
            HugePageBytesBefore = Median(runs, run => run.HugePageBytesBefore),
            HugePageBytesAfter = Median(runs, run => run.HugePageBytesAfter),
            Reports = Median(runs, run => run.Reports),
            ReportedEntries = Median(runs, run => run.ReportedEntries),
            ReportPasses = Median(runs, run => run.ReportPasses),
            ReportDelayMs = Median(runs, run => run.ReportDelayMs),
        };
    }

    /// <summary>The median of <paramref name="values"/>; the mean of the two middle values for an even count.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = Sorted(values);
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The median of <paramref name="values"/>; the mean of the two middle values, rounded down, for an even count.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static long Median(IEnumerable<long> values)
    {
        var sorted = Sorted(values);
        var middle = sorted.Length / 2;
        if (sorted.Length % 2 == 1)
            return sorted[middle];

        // Sum in 128 bits so two large sizes cannot overflow, then round towards negative infinity.
        var sum = (Int128)sorted[middle - 1] + sorted[middle];
        var half = sum / 2;
        if (sum < 0 && sum % 2 != 0)
            half -= 1;
        return (long)half;
    }

    private static double Median(IReadOnlyList<BenchRun> runs, Func<BenchRun, double> field) => Median(runs.Select(field));

    private static long Median(IReadOnlyList<BenchRun> runs, Func<BenchRun, long> field) => Median(runs.Select(field));

    private static T[] Sorted<T>(IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException("the median of no values is undefined", nameof(values));
        Array.Sort(sorted);
        return sorted;
    }
}
