using System.Text.Json;
using Ballast.Simulation.Experiment;

namespace Ballast.Cli.Output;

/// <summary>
/// Writes a <see cref="BenchReport"/> as the single JSON object of <c>ballast bench --json</c>,
/// on one line, with every millisecond figure rounded to <see cref="MsDecimals"/> decimals.
/// </summary>
/// <remarks>
/// Shape (one object, nothing else):
/// <code>
/// {"guest_mem_bytes":N,"inflate_bytes":N,"profile":"idle","clean":false,"zero_on_alloc":false,
///  "floor_ms":X,"runs":[{"mode":"pfn-per-page","total_ms":X,"alloc_ms":X,"send_ms":X,
///  "translate_ms":X,"release_ms":X,"deflate_ms":X,"pages":N,"buffers":N,"kicks":N,"runs":N,
///  "release_calls":N,"host_bytes_before":N,"host_bytes_after":N,"integrity":"ok","backing":"4k",
///  "release_granularity":"host-page","host_page_size":4096,"huge_page_bytes_before":N,"huge_page_bytes_after":N,
///  "reports":N,"reported_entries":N,"report_passes":N,"report_delay_ms":X}, …],
///  "release_granularity":"host-page","backings":[{"backing":"4k","host_page_size":4096,"huge_page_source":"ShmemHugePages",
///  "floor_ms":X}, …],"warnings":[…]}
/// </code>
/// </remarks>
public static class BenchJsonWriter
{
    /// <summary>Decimals kept for millisecond values: 0.01 ms.</summary>
    public const int MsDecimals = 2;

    /// <summary>The JSON text of <paramref name="report"/>, without a trailing newline.</summary>
    public static string Serialize(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(Rounded(report), BenchJsonContext.Default.BenchReport);
    }

    /// <summary>Writes <paramref name="report"/> as one JSON line to <paramref name="writer"/>.</summary>
    public static void Write(BenchReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(Serialize(report));
    }

    /// <summary><paramref name="report"/> with its millisecond values rounded for output.</summary>
    internal static BenchReport Rounded(BenchReport report) => report with
    {
        FloorMs = Round(report.FloorMs),
        Backings = [.. report.Backings.Select(backing => backing with { FloorMs = Round(backing.FloorMs) })],
        Runs = [.. report.Runs.Select(run => run with
        {
            TotalMs = Round(run.TotalMs),
            AllocMs = Round(run.AllocMs),
            SendMs = Round(run.SendMs),
            TranslateMs = Round(run.TranslateMs),
            ReleaseMs = Round(run.ReleaseMs),
            DeflateMs = Round(run.DeflateMs),
            ReportDelayMs = Round(run.ReportDelayMs),
        })],
    };

    private static double Round(double ms) => Math.Round(ms, MsDecimals, MidpointRounding.AwayFromZero);
}
