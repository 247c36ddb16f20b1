using System.Globalization;
using System.Text;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;
using Ballast.GuestBench;

namespace Ballast.Cli.Output;

/// <summary>
/// The human output of <c>ballast guest-bench</c>: every run, then per device and driver the median of each figure
/// (each field on its own, as <c>ballast bench --repeat</c> does) and, with both devices, Ballast's time as a share
/// of QEMU's; with SG drivers, their time as a share of the stock driver's on Ballast.
/// </summary>
/// <remarks>
/// <code>
/// ballast guest-bench: guest 2 GiB, inflate 1536 MiB, dirty 1600 MiB, 3 runs per device and driver
///
/// run  device    driver        inflate ms  deflate ms  host before MiB  host after MiB  released %
///   1  qemu      stock             2410.3       640.1           1650.2           114.9        97.5
/// ...
/// median        qemu   ballast
/// inflate ms  2410.3    1080.2
/// </code>
/// </remarks>
public static class GuestBenchTableWriter
{
    /// <summary>The text for <paramref name="report"/>, lines ending in <c>\n</c>.</summary>
    public static string Format(GuestBenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var devices = report.Runs.Select(Column).Distinct().ToList();
        var perDevice = devices.Count == 0 ? 0 : report.Runs.Count / devices.Count;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"ballast guest-bench: guest {SizeFormatter.Format(report.GuestMemBytes)}, inflate {SizeFormatter.Format(report.InflateBytes)}, "
            + $"dirty {SizeFormatter.Format(report.DirtyBytes)}, {perDevice} run{(perDevice == 1 ? "" : "s")} per device and driver\n\n");

        text.Append("run  device    driver        inflate ms  release ms  deflate ms  host before MiB  host after MiB  released %\n");
        var repeatOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var run in report.Runs)
        {
            repeatOf[Column(run)] = repeatOf.GetValueOrDefault(Column(run)) + 1;
            text.Append(CultureInfo.InvariantCulture,
                $"{repeatOf[Column(run)],3}  {GuestBenchDevices.Name(run.Device),-8}  {GuestBenchDrivers.Name(run.Driver),-12}  {Ms(run.InflateMs),10}  {Ms(run.ReleaseMs),10}  {Ms(run.DeflateMs),10}  {SizeFormatter.MiBWithDecimal(run.HostBytesBefore),15}  "
                + $"{SizeFormatter.MiBWithDecimal(run.HostBytesAfter),14}  {Released(run.ReleasedBytes, report.InflateBytes),10}\n");
        }

        var medians = devices.Select(column => Median(report.Runs.Where(run => Column(run) == column).ToList())).ToList();
        text.Append('\n').Append(CultureInfo.InvariantCulture, $"{(perDevice > 1 ? $"median of {perDevice}" : "result"),-18}");
        foreach (var device in devices)
            text.Append(CultureInfo.InvariantCulture, $"  {device,20}");
        text.Append('\n');
        Row(text, "inflate ms", medians, run => Ms(run.InflateMs));
        Row(text, "release ms", medians, run => Ms(run.ReleaseMs));
        Row(text, "deflate ms", medians, run => Ms(run.DeflateMs));
        Row(text, "host before MiB", medians, run => SizeFormatter.MiBWithDecimal(run.HostBytesBefore));
        Row(text, "host after MiB", medians, run => SizeFormatter.MiBWithDecimal(run.HostBytesAfter));
        Row(text, "released %", medians, run => Released(run.ReleasedBytes, report.InflateBytes));

        var qemu = medians.FirstOrDefault(run => run.Device == GuestBenchDevice.Qemu && run.Driver == GuestBenchDriver.Stock);
        var ballast = medians.FirstOrDefault(run => run.Device == GuestBenchDevice.Ballast && run.Driver == GuestBenchDriver.Stock);
        if (qemu is not null && ballast is not null)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\nballast / qemu: inflate {Ratio(ballast.InflateMs, qemu.InflateMs)}, deflate {Ratio(ballast.DeflateMs, qemu.DeflateMs)} (medians)\n");
        }
        var separated = qemu is not null && ballast is not null;
        foreach (var sg in medians.Where(run => ballast is not null && run.Device == GuestBenchDevice.Ballast && run.Driver != GuestBenchDriver.Stock))
        {
            if (!separated)
                text.Append('\n');
            separated = true;
            text.Append(CultureInfo.InvariantCulture,
                $"ballast {GuestBenchDrivers.Name(sg.Driver)} / ballast stock: inflate {Ratio(sg.InflateMs, ballast!.InflateMs)}, deflate {Ratio(sg.DeflateMs, ballast.DeflateMs)} (medians)\n");
        }
        return text.ToString();
    }

    /// <summary>Writes <see cref="Format"/> to <paramref name="writer"/>.</summary>
    public static void Write(GuestBenchReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Format(report));
    }

    /// <summary>The median run of one device: each field the median of that field (the mean of the middle two for an even count).</summary>
    public static GuestBenchRun Median(IReadOnlyList<GuestBenchRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
            throw new ArgumentException("no runs", nameof(runs));
        return new GuestBenchRun(runs[0].Device, runs[0].Driver,
            MedianAggregator.Median(runs.Select(run => run.InflateMs)),
            MedianAggregator.Median(runs.Select(run => run.DeflateMs)),
            MedianAggregator.Median(runs.Select(run => run.HostBytesBefore)),
            MedianAggregator.Median(runs.Select(run => run.HostBytesAfter)),
            MedianAggregator.Median(runs.Select(run => run.ReleaseMs)));
    }

    /// <summary>The median column of a run: its device, with the driver unless it is the stock one.</summary>
    private static string Column(GuestBenchRun run) => run.Driver == GuestBenchDriver.Stock
        ? GuestBenchDevices.Name(run.Device)
        : $"{GuestBenchDevices.Name(run.Device)} {GuestBenchDrivers.Name(run.Driver)}";

    private static void Row(StringBuilder text, string label, IReadOnlyList<GuestBenchRun> medians, Func<GuestBenchRun, string> cell)
    {
        text.Append(CultureInfo.InvariantCulture, $"{label,-18}");
        foreach (var run in medians)
            text.Append(CultureInfo.InvariantCulture, $"  {cell(run),20}");
        text.Append('\n');
    }

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Released(long released, long inflate) =>
        inflate > 0 ? (100.0 * released / inflate).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double part, double whole) =>
        whole > 0 ? (part / whole).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";
}
