namespace Ballast.AutopilotEval;

/// <summary>What one run of the scenario measured (sums over the guests).</summary>
/// <param name="MeanHostBytes">Host memory behind all guests' RAM, mean over the samples.</param>
/// <param name="PeakHostBytes">Its highest sample.</param>
/// <param name="EndHostBytes">Its last sample (after the final <c>unhog</c> and the settle time).</param>
/// <param name="HogTouchedBytes">Memory the hogs touched, all chunks of all guests (each allocation counted).</param>
/// <param name="PeakHogBytes">The most hog memory the guests held at once, by the scenario (sum of each guest's peak).</param>
/// <param name="OomKills">The guests' <c>oom_kill</c> counters at the end (vmstat), summed.</param>
/// <param name="HogKills"><c>hog killed</c> lines (a hog ended by a signal).</param>
/// <param name="Chunks">Hog chunks touched (allocation latency samples).</param>
/// <param name="ChunkP50Ms">Median chunk touch time, ms.</param>
/// <param name="ChunkP99Ms">99th percentile (nearest rank) chunk touch time, ms.</param>
/// <param name="ChunkMaxMs">Slowest chunk, ms.</param>
/// <param name="TargetChanges">Target changes the autopilot made (0 without it).</param>
/// <param name="GiveBacks">Of those, the ones a give-back trigger caused.</param>
/// <param name="Oscillations">Reversals counted by <see cref="TargetOscillation"/>.</param>
/// <param name="MeanTargetBytes">Balloon targets, summed over the guests, mean over the samples.</param>
/// <param name="PsiSomeMaxAvg10">The highest host PSI memory "some" avg10 seen, percent.</param>
/// <param name="ReclaimedBytes">Per guest, its highest host memory less its last, summed: what the host got back.</param>
public sealed record EvalSummary(double MeanHostBytes, long PeakHostBytes, long EndHostBytes, long HogTouchedBytes, long PeakHogBytes, long OomKills,
    int HogKills, int Chunks, double ChunkP50Ms, double ChunkP99Ms, double ChunkMaxMs, int TargetChanges, int GiveBacks, int Oscillations,
    double MeanTargetBytes, double? PsiSomeMaxAvg10, long ReclaimedBytes)
{
    /// <summary>Nearest-rank percentile <paramref name="p"/> (0–100) of <paramref name="values"/>; 0 when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            return 0;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
