using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ballast.AutopilotEval;

/// <summary>The evaluation's outputs: a JSON and a CSV per run, and the Markdown table comparing the runs.</summary>
public static class EvalReport
{
    private const double MiB = 1 << 20;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Writes <c>DIR/WAY.json</c> (everything) and <c>DIR/WAY.csv</c> (one row per second).</summary>
    public static void WriteRun(EvalRun run, string directory)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, run.WayName + ".json"), JsonSerializer.Serialize(run, s_json));
        File.WriteAllText(Path.Combine(directory, run.WayName + ".csv"), Csv(run));
        if (run.AutopilotLog.Count > 0)
        {
            File.WriteAllLines(Path.Combine(directory, run.WayName + ".autopilot.log"),
                run.AutopilotLog.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Seconds,8:0.000} {l.Line}")));
        }
    }

    /// <summary>One row per sample: time, host PSI and MemAvailable, then per guest host memory, available, target and actual (MiB).</summary>
    public static string Csv(EvalRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var text = new StringBuilder("seconds,psi_some_avg10,host_mem_available_mib");
        for (var i = 0; i < run.Scenario.Guests; i++)
            text.Append(CultureInfo.InvariantCulture, $",g{i}_host_mib,g{i}_available_mib,g{i}_target_mib,g{i}_actual_mib");
        text.Append('\n');
        static string Mib(long? bytes) => bytes is { } b ? (b / MiB).ToString("0.0", CultureInfo.InvariantCulture) : "";
        foreach (var tick in run.Ticks)
        {
            text.Append(CultureInfo.InvariantCulture, $"{tick.Seconds:0.000},{tick.PsiSomeAvg10?.ToString("0.00", CultureInfo.InvariantCulture)},{Mib(tick.HostMemAvailableBytes)}");
            foreach (var g in tick.Guests)
                text.Append(CultureInfo.InvariantCulture, $",{Mib(g.HostBytes)},{Mib(g.AvailableBytes)},{Mib(g.TargetBytes)},{Mib(g.ActualBytes)}");
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The Markdown table of <paramref name="runs"/>, with ratios to the no-balloon run when there is one, and the goals.</summary>
    public static string Table(IReadOnlyList<EvalRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var baseline = runs.FirstOrDefault(r => r.Way == EvalWay.NoBalloon)?.Summary;
        var text = new StringBuilder();
        text.Append("| way | mean host memory, MiB (sum of guests) | × no-balloon | peak / end, MiB | mean target, MiB | OOM kills (hog killed) | "
            + "chunks | p50 / p99 chunk, ms | p99 × no-balloon | target changes (give-backs) | oscillations |\n");
        text.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var run in runs)
        {
            var s = run.Summary;
            string Ratio(double value, double? of) => of is { } b && b > 0 ? (value / b).ToString("0.00", CultureInfo.InvariantCulture) : "–";
            text.Append(CultureInfo.InvariantCulture,
                $"| {run.WayName} | {s.MeanHostBytes / MiB:0} | {Ratio(s.MeanHostBytes, baseline?.MeanHostBytes)} | {s.PeakHostBytes / MiB:0} / {s.EndHostBytes / MiB:0} | "
                + $"{s.MeanTargetBytes / MiB:0} | {s.OomKills} ({s.HogKills}) | {s.Chunks} | {s.ChunkP50Ms:0.0} / {s.ChunkP99Ms:0.0} | "
                + $"{Ratio(s.ChunkP99Ms, baseline?.ChunkP99Ms)} | {s.TargetChanges} ({s.GiveBacks}) | {s.Oscillations} |\n");
        }
        var autopilot = runs.FirstOrDefault(r => r.Way == EvalWay.Autopilot)?.Summary;
        if (autopilot is not null && baseline is not null)
        {
            var memory = autopilot.MeanHostBytes / baseline.MeanHostBytes;
            var p99 = baseline.ChunkP99Ms > 0 ? autopilot.ChunkP99Ms / baseline.ChunkP99Ms : double.NaN;
            text.Append(CultureInfo.InvariantCulture,
                $"\nGoals (issue #16): mean host memory ≤ 0.6× no-balloon: {memory:0.00}× {Met(memory <= 0.6)}; 0 OOM kills: {autopilot.OomKills} {Met(autopilot.OomKills == 0 && autopilot.HogKills == 0)}; "
                + $"p99 ≤ 2× no-balloon: {p99:0.00}× {Met(p99 <= 2)}; no oscillation: {autopilot.Oscillations} {Met(autopilot.Oscillations == 0)}.\n");
        }
        return text.ToString();
    }

    private static string Met(bool met) => met ? "(met)" : "(missed)";
}
