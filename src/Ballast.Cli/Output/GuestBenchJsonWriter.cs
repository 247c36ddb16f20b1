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

    /// <summary>
    /// The JSON text of a <c>--reporting</c> report, without a trailing newline: <c>{"guest_mem_bytes":N,"hog_bytes":N,
    /// "poll_interval_ms":X,"settle_window_ms":X,"settle_band_bytes":N,"runs":[{"device":"qemu","driver":"stock",
    /// "host_bytes_before":N,"host_bytes_after":N,"reclaim_ms":X,"backing":"4k","reclaimed_bytes":N,"reclaim_90_ms":X, …}, …]}</c>.
    /// </summary>
    public static string Serialize(GuestReportingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rounded = report with
        {
            Runs = [.. report.Runs.Select(run => run with
            {
                ReclaimMs = Round(run.ReclaimMs),
                Reclaim90Ms = run.Reclaim90Ms is { } ms90 ? Round(ms90) : null,
                HogFreedMs = run.HogFreedMs is { } freed ? Round(freed) : null,
                HogExitedMs = Round(run.HogExitedMs),
                ReclaimGuestMs = run.ReclaimGuestMs is { } guestMs ? Round(guestMs) : null,
            })],
        };
        return JsonSerializer.Serialize(rounded, GuestBenchJsonContext.Default.GuestReportingReport);
    }

    /// <summary>Parses what <see cref="Serialize(GuestBenchReport)"/> wrote.</summary>
    /// <exception cref="JsonException">It is not such a report.</exception>
    public static GuestBenchReport Deserialize(string json) =>
        JsonSerializer.Deserialize(json, GuestBenchJsonContext.Default.GuestBenchReport) ?? throw new JsonException("null report");

    private static double Round(double ms) => Math.Round(ms, BenchJsonWriter.MsDecimals, MidpointRounding.AwayFromZero);
}
