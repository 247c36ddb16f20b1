using System.Text.Json;
using System.Text.Json.Nodes;
using Ballast.Simulation.Experiment;

namespace Ballast.Cli.Output;

/// <summary>
/// Writes a <see cref="BenchReport"/> as the single JSON object of <c>ballast bench --json</c>,
/// on one line, with every millisecond figure rounded to <see cref="MsDecimals"/> decimals.
/// The fields are documented in <c>docs/bench-json.md</c>.
/// </summary>
/// <remarks>
/// Shape (one object, nothing else); schema 1 fields first, unchanged, then what schema 2 added:
/// <code>
/// {"guest_mem_bytes":N,"inflate_bytes":N,"profile":"idle","clean":false,"zero_on_alloc":false,
///  "floor_ms":X,"runs":[{"mode":"pfn-per-page","total_ms":X, …median of each field…}, …],
///  "release_granularity":"host-page","backings":[…],"warnings":[…],
///  "schema_version":2,"version":"1.0.0+…","transport":"in-process","repeat":N,
///  "all_runs":[{"repeat":1,"mode":"pfn-per-page","total_ms":X, …}, …],
///  "spread":[{"mode":"pfn-per-page","backing":"4k","count":N,"total_ms":{"min":X,"median":X,"max":X,"stdev":X}, …}, …]}
/// </code>
/// </remarks>
public static class BenchJsonWriter
{
    /// <summary>Decimals kept for millisecond values: 0.01 ms.</summary>
    public const int MsDecimals = 2;

    /// <summary>
    /// <c>schema_version</c>. 1 was the output before the field existed (the fields up to <c>warnings</c>);
    /// 2 added <c>schema_version</c>, <c>version</c>, <c>transport</c>, <c>repeat</c>, <c>all_runs</c> and <c>spread</c>
    /// and changed none of version 1's.
    /// </summary>
    public const int SchemaVersion = 2;

    /// <summary>
    /// The JSON text of <paramref name="report"/>, without a trailing newline: <c>runs</c> holds the median of each mode
    /// (<see cref="MedianAggregator"/>), <c>all_runs</c> every run of <paramref name="report"/> in the order they ran.
    /// </summary>
    /// <param name="report">The engine's report, every run (one per mode is fine too).</param>
    /// <param name="header">Transport, repeat and version; by default in-process, the most runs of one mode, this program.</param>
    public static string Serialize(BenchReport report, BenchJsonHeader? header = null) => ToJson(report, header).ToJsonString();

    /// <summary>Writes <paramref name="report"/> as one JSON line to <paramref name="writer"/>.</summary>
    public static void Write(BenchReport report, TextWriter writer, BenchJsonHeader? header = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(Serialize(report, header));
    }

    private static JsonObject ToJson(BenchReport report, BenchJsonHeader? header)
    {
        ArgumentNullException.ThrowIfNull(report);
        var groups = report.Runs.GroupBy(run => (run.Backing, run.Mode)).ToList();
        header ??= new BenchJsonHeader(BenchTransport.InProcess, groups.Count == 0 ? 0 : groups.Max(g => g.Count()), ProgramVersion.Current);

        var medians = Rounded(MedianAggregator.Aggregate(report));
        var root = JsonSerializer.SerializeToNode(medians, BenchJsonContext.Default.BenchReport)!.AsObject();
        root["schema_version"] = SchemaVersion;
        root["version"] = header.Version;
        root["transport"] = BenchJsonHeader.TransportName(header.Transport);
        root["repeat"] = header.Repeat;

        // Every run, numbered within its mode and backing (1, 2, … in the order they ran).
        var allRuns = new JsonArray();
        var seen = new Dictionary<(BenchBacking, BenchMode), int>();
        foreach (var run in report.Runs)
        {
            var key = (run.Backing, run.Mode);
            var n = seen[key] = seen.GetValueOrDefault(key) + 1;
            var node = new JsonObject { ["repeat"] = n };
            foreach (var (name, value) in JsonSerializer.SerializeToNode(Rounded(run), BenchJsonContext.Default.BenchRun)!.AsObject().ToList())
                node[name] = value?.DeepClone();
            allRuns.Add(node);
        }
        root["all_runs"] = allRuns;

        var spread = new JsonArray();
        foreach (var group in groups)
            spread.Add(JsonSerializer.SerializeToNode(BenchSpread.Of([.. group]).Map(Round), BenchJsonContext.Default.BenchSpread));
        root["spread"] = spread;
        return root;
    }

    /// <summary><paramref name="report"/> with its millisecond values rounded for output.</summary>
    internal static BenchReport Rounded(BenchReport report) => report with
    {
        FloorMs = Round(report.FloorMs),
        Backings = [.. report.Backings.Select(backing => backing with { FloorMs = Round(backing.FloorMs) })],
        Runs = [.. report.Runs.Select(Rounded)],
    };

    private static BenchRun Rounded(BenchRun run) => run with
    {
        TotalMs = Round(run.TotalMs),
        AllocMs = Round(run.AllocMs),
        SendMs = Round(run.SendMs),
        TranslateMs = Round(run.TranslateMs),
        ReleaseMs = Round(run.ReleaseMs),
        DeflateMs = Round(run.DeflateMs),
        ReportDelayMs = Round(run.ReportDelayMs),
    };

    private static double Round(double ms) => Math.Round(ms, MsDecimals, MidpointRounding.AwayFromZero);
}
