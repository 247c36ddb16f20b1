using System.Globalization;
using System.Text;
using Ballast.GuestLab;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;
using Ballast.GuestBench;

namespace Ballast.Cli.Output;

/// <summary>
/// The human output of <c>ballast guest-bench</c>: every run, then per device and driver the median of each figure
/// (each field on its own, as <c>ballast bench --repeat</c> does) and, with both devices, Ballast's time as a share
/// of QEMU's; with SG drivers, their time as a share of the stock driver's on Ballast; per backing, and with 4 KiB
/// runs beside huge-page ones, each huge-page median as a share of the same device and driver on 4 KiB.
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
        var withBacking = report.Runs.Any(run => run.Backing != MemoryBacking.Pages4K);
        string Key(GuestBenchRun run) => Column(run, withBacking);
        var columns = report.Runs.Select(Key).Distinct().ToList();
        var perColumn = columns.Count == 0 ? 0 : report.Runs.Count / columns.Count;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"ballast guest-bench: guest {SizeFormatter.Format(report.GuestMemBytes)}, inflate {SizeFormatter.Format(report.InflateBytes)}, "
            + $"dirty {SizeFormatter.Format(report.DirtyBytes)}, {perColumn} run{(perColumn == 1 ? "" : "s")} per device and driver");
        if (report.ReleaseGranularity is { } granularity)
            text.Append(CultureInfo.InvariantCulture, $", release granularity {granularity}");
        text.Append("\n\n");

        text.Append("run  device    driver        backing  inflate ms  release ms  deflate ms  host before MiB  host after MiB  released %  huge pages free\n");
        var repeatOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var run in report.Runs)
        {
            repeatOf[Key(run)] = repeatOf.GetValueOrDefault(Key(run)) + 1;
            text.Append(CultureInfo.InvariantCulture,
                $"{repeatOf[Key(run)],3}  {GuestBenchDevices.Name(run.Device),-8}  {GuestBenchDrivers.Name(run.Driver),-12}  {GuestRamBackings.Name(run.Backing),-7}  {Ms(run.InflateMs),10}  {Ms(run.ReleaseMs),10}  {Ms(run.DeflateMs),10}  {SizeFormatter.MiBWithDecimal(run.HostBytesBefore),15}  "
                + $"{SizeFormatter.MiBWithDecimal(run.HostBytesAfter),14}  {Released(run.ReleasedBytes, report.InflateBytes),10}  {HugePagesFree(run),15}\n");
        }

        var medians = columns.Select(column => Median(report.Runs.Where(run => Key(run) == column).ToList())).ToList();
        MedianHeading(text, perColumn, columns);
        Row(text, "inflate ms", medians, run => Ms(run.InflateMs));
        Row(text, "release ms", medians, run => Ms(run.ReleaseMs));
        Row(text, "deflate ms", medians, run => Ms(run.DeflateMs));
        Row(text, "host before MiB", medians, run => SizeFormatter.MiBWithDecimal(run.HostBytesBefore));
        Row(text, "host after MiB", medians, run => SizeFormatter.MiBWithDecimal(run.HostBytesAfter));
        Row(text, "released %", medians, run => Released(run.ReleasedBytes, report.InflateBytes));

        var separated = false;
        void Line(string line)
        {
            if (!separated)
                text.Append('\n');
            separated = true;
            text.Append(line).Append('\n');
        }
        foreach (var backing in medians.Select(run => run.Backing).Distinct())
        {
            var on = medians.Where(run => run.Backing == backing).ToList();
            var where = withBacking ? $" on {GuestRamBackings.Name(backing)}" : "";
            var qemu = on.FirstOrDefault(run => run.Device == GuestBenchDevice.Qemu && run.Driver == GuestBenchDriver.Stock);
            var ballast = on.FirstOrDefault(run => run.Device == GuestBenchDevice.Ballast && run.Driver == GuestBenchDriver.Stock);
            if (qemu is not null && ballast is not null)
                Line($"ballast / qemu{where}: inflate {Ratio(ballast.InflateMs, qemu.InflateMs)}, deflate {Ratio(ballast.DeflateMs, qemu.DeflateMs)} (medians)");
            foreach (var sg in on.Where(run => ballast is not null && run.Device == GuestBenchDevice.Ballast && run.Driver != GuestBenchDriver.Stock))
                Line($"ballast {GuestBenchDrivers.Name(sg.Driver)} / ballast stock{where}: inflate {Ratio(sg.InflateMs, ballast!.InflateMs)}, deflate {Ratio(sg.DeflateMs, ballast.DeflateMs)} (medians)");
        }
        foreach (var huge in medians.Where(run => run.Backing != MemoryBacking.Pages4K))
        {
            var base4K = medians.FirstOrDefault(run => run.Backing == MemoryBacking.Pages4K && run.Device == huge.Device && run.Driver == huge.Driver);
            if (base4K is not null)
            {
                Line($"{GuestRamBackings.Name(huge.Backing)} / 4k, {GuestBenchDevices.Name(huge.Device)} {GuestBenchDrivers.Name(huge.Driver)}: "
                    + $"release {Ratio(huge.ReleaseMs, base4K.ReleaseMs)}, inflate {Ratio(huge.InflateMs, base4K.InflateMs)} (medians)");
            }
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
            MedianAggregator.Median(runs.Select(run => run.ReleaseMs)))
        {
            Backing = runs[0].Backing,
            RamBlockBytes = runs[0].RamBlockBytes,
        };
    }

    /// <summary>
    /// The median column of a run: its device, with the driver unless it is the stock one, after its backing when
    /// <paramref name="withBacking"/> (some run is not on 4 KiB pages).
    /// </summary>
    private static string Column(GuestBenchRun run, bool withBacking) =>
        (withBacking ? GuestRamBackings.Name(run.Backing) + " " : "")
        + (run.Driver == GuestBenchDriver.Stock
            ? GuestBenchDevices.Name(run.Device)
            : $"{GuestBenchDevices.Name(run.Device)} {GuestBenchDrivers.Name(run.Driver)}");

    /// <summary>HugePages_Free before → after the inflate, when the hugetlb pool had any.</summary>
    private static string HugePagesFree(GuestBenchRun run) =>
        run.HostPagesBefore is { } before && run.HostPagesAfter is { } after && (before.HugetlbFreePages > 0 || after.HugetlbFreePages > 0)
            ? string.Create(CultureInfo.InvariantCulture, $"{before.HugetlbFreePages} -> {after.HugetlbFreePages}")
            : "-";

    /// <summary>
    /// The medians' heading: <c>median of N</c> (or <c>result</c> for single runs) in a <paramref name="labelWidth"/>
    /// column, then each column's name right-aligned in <paramref name="columnWidth"/>.
    /// </summary>
    internal static void MedianHeading(StringBuilder text, int perColumn, IEnumerable<string> columns, int labelWidth = 18, int columnWidth = 20)
    {
        text.Append('\n').Append((perColumn > 1 ? $"median of {perColumn}" : "result").PadRight(labelWidth));
        foreach (var column in columns)
            text.Append("  ").Append(column.PadLeft(columnWidth));
        text.Append('\n');
    }

    /// <summary>One row of medians: <paramref name="label"/>, then <paramref name="cell"/> of each median run, aligned as <see cref="MedianHeading"/>.</summary>
    internal static void Row<TRun>(StringBuilder text, string label, IReadOnlyList<TRun> medians, Func<TRun, string> cell, int labelWidth = 18, int columnWidth = 20)
    {
        text.Append(label.PadRight(labelWidth));
        foreach (var run in medians)
            text.Append("  ").Append(cell(run).PadLeft(columnWidth));
        text.Append('\n');
    }

    internal static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Released(long released, long inflate) =>
        inflate > 0 ? (100.0 * released / inflate).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    internal static string Ratio(double part, double whole) =>
        whole > 0 ? (part / whole).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";
}
