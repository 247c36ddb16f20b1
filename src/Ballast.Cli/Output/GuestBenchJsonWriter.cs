using System.Text.Json;
using Ballast.GuestBench;

namespace Ballast.Cli.Output;

/// <summary>
/// Writes a <see cref="GuestBenchReport"/> as the single JSON object of <c>ballast guest-bench --json</c>, on one
/// line, milliseconds rounded to <see cref="BenchJsonWriter.MsDecimals"/> decimals:
/// <code>
/// {"guest_mem_bytes":N,"inflate_bytes":N,"dirty_bytes":N,"runs":[{"device":"qemu","driver":"stock","inflate_ms":X,
///  "deflate_ms":X,"host_bytes_before":N,"host_bytes_after":N}, …]}
/// </code>
/// </summary>
public static class GuestBenchJsonWriter
{
    /// <summary>The JSON text of <paramref name="report"/>, without a trailing newline.</summary>
    public static string Serialize(GuestBenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rounded = report with
        {
            Runs = [.. report.Runs.Select(run => run with { InflateMs = Round(run.InflateMs), DeflateMs = Round(run.DeflateMs), ReleaseMs = Round(run.ReleaseMs) })],
        };
        return JsonSerializer.Serialize(rounded, GuestBenchJsonContext.Default.GuestBenchReport);
    }

    /// <summary>Parses what <see cref="Serialize"/> wrote.</summary>
    /// <exception cref="JsonException">It is not such a report.</exception>
    public static GuestBenchReport Deserialize(string json) =>
        JsonSerializer.Deserialize(json, GuestBenchJsonContext.Default.GuestBenchReport) ?? throw new JsonException("null report");

    private static double Round(double ms) => Math.Round(ms, BenchJsonWriter.MsDecimals, MidpointRounding.AwayFromZero);
}
