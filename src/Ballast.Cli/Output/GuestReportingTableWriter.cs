using System.Globalization;
using System.Text;
using Ballast.GuestBench;
using Ballast.GuestLab;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;

namespace Ballast.Cli.Output;

/// <summary>
/// The human output of <c>ballast guest-bench --reporting</c>: every run, then per backing, device and driver the median
/// of each figure (each field on its own), and per backing Ballast's reclaim time as a share of QEMU's.
/// </summary>
/// <remarks>
/// <code>
/// ballast guest-bench --reporting: guest 2 GiB, hog 1 GiB, 3 runs per device and driver; host memory read every 50 ms, settled = 4 s within 20.5 MiB
///
/// run  device    driver        backing  host before MiB  host after MiB  reclaimed MiB  reclaimed %  reclaim ms     90% ms  hog exited ms  guest clock  reclaim guest ms
///   1  qemu      stock         4k                 1101.2           140.3          960.9         93.8      6012.0     5100.0         1200.0        0.981            5897.8
/// </code>
/// </remarks>
public static class GuestReportingTableWriter
{
    private const int LabelWidth = 15;
    private const int ColumnWidth = 22;

    /// <summary>The text for <paramref name="report"/>, lines ending in <c>\n</c>.</summary>
    public static string Format(GuestReportingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var columns = report.Runs.Select(Column).Distinct().ToList();
        var perColumn = columns.Count == 0 ? 0 : report.Runs.Count / columns.Count;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"ballast guest-bench --reporting: guest {SizeFormatter.Format(report.GuestMemBytes)}, hog {SizeFormatter.Format(report.HogBytes)}, "
            + $"{perColumn} run{(perColumn == 1 ? "" : "s")} per device and driver; host memory read every {report.PollIntervalMs:0} ms, "
            + $"settled = {report.SettleWindowMs / 1000:0.#} s within {SizeFormatter.MiBWithDecimal(report.SettleBandBytes)} MiB\n\n");

        text.Append("run  device    driver        backing  host before MiB  host after MiB  reclaimed MiB  reclaimed %  reclaim ms     90% ms  hog exited ms  guest clock  reclaim guest ms\n");
        var repeatOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var run in report.Runs)
        {
            repeatOf[Column(run)] = repeatOf.GetValueOrDefault(Column(run)) + 1;
            text.Append(CultureInfo.InvariantCulture,
                $"{repeatOf[Column(run)],3}  {GuestBenchDevices.Name(run.Device),-8}  {GuestBenchDrivers.Name(run.Driver),-12}  {GuestRamBackings.Name(run.Backing),-7}  "
                + $"{SizeFormatter.MiBWithDecimal(run.HostBytesBefore),15}  {SizeFormatter.MiBWithDecimal(run.HostBytesAfter),14}  "
                + $"{SizeFormatter.MiBWithDecimal(run.ReclaimedBytes),13}  {Share(run.ReclaimedBytes, report.HogBytes),11}  {GuestBenchTableWriter.Ms(run.ReclaimMs),10}  "
                + $"{Optional(run.Reclaim90Ms),9}  {GuestBenchTableWriter.Ms(run.HogExitedMs),13}  {Rate(run.GuestClockRate),11}  {Optional(run.ReclaimGuestMs),16}\n");
        }

        var medians = columns.Select(column => Median(report.Runs.Where(run => Column(run) == column).ToList())).ToList();
        GuestBenchTableWriter.MedianHeading(text, perColumn, columns, LabelWidth, ColumnWidth);
        void Row(string label, Func<GuestReportingRun, string> cell) => GuestBenchTableWriter.Row(text, label, medians, cell, LabelWidth, ColumnWidth);
        Row("reclaimed MiB", run => SizeFormatter.MiBWithDecimal(run.ReclaimedBytes));
        Row("reclaimed %", run => Share(run.ReclaimedBytes, report.HogBytes));
        Row("reclaim ms", run => GuestBenchTableWriter.Ms(run.ReclaimMs));
        Row("90% ms", run => Optional(run.Reclaim90Ms));
        Row("hog exited ms", run => GuestBenchTableWriter.Ms(run.HogExitedMs));
        Row("guest clock", run => Rate(run.GuestClockRate));
        Row("reclaim guest ms", run => Optional(run.ReclaimGuestMs));

        var separated = false;
        foreach (var backing in medians.Select(run => run.Backing).Distinct())
        {
            var qemu = medians.FirstOrDefault(run => run.Backing == backing && run.Device == GuestBenchDevice.Qemu);
            foreach (var ballast in medians.Where(run => qemu is not null && run.Backing == backing && run.Device == GuestBenchDevice.Ballast))
            {
                if (!separated)
                    text.Append('\n');
                separated = true;
                var onGuestClock = ballast.ReclaimGuestMs is { } mine && qemu!.ReclaimGuestMs is { } theirs
                    ? $", reclaim on the guest's clock {GuestBenchTableWriter.Ratio(mine, theirs)}"
                    : "";
                text.Append(CultureInfo.InvariantCulture,
                    $"ballast {GuestBenchDrivers.Name(ballast.Driver)} / qemu on {GuestRamBackings.Name(backing)}: reclaim {GuestBenchTableWriter.Ratio(ballast.ReclaimMs, qemu!.ReclaimMs)}, "
                    + $"reclaimed {GuestBenchTableWriter.Ratio(ballast.ReclaimedBytes, qemu.ReclaimedBytes)}{onGuestClock} (medians)\n");
            }
        }
        return text.ToString();
    }

    /// <summary>The median run of one column (never empty): each field the median of that field; 90% only if every run got there.</summary>
    private static GuestReportingRun Median(IReadOnlyList<GuestReportingRun> runs)
    {
        var reached = runs.Where(run => run.Reclaim90Ms is not null).Select(run => run.Reclaim90Ms!.Value).ToList();
        return new GuestReportingRun(runs[0].Device, runs[0].Driver,
            MedianAggregator.Median(runs.Select(run => run.HostBytesBefore)),
            MedianAggregator.Median(runs.Select(run => run.HostBytesAfter)),
            MedianAggregator.Median(runs.Select(run => run.ReclaimMs)))
        {
            Backing = runs[0].Backing,
            Reclaim90Ms = reached.Count == runs.Count ? MedianAggregator.Median(reached) : null,
            HogExitedMs = MedianAggregator.Median(runs.Select(run => run.HogExitedMs)),
            RamBlockBytes = runs[0].RamBlockBytes,
            GuestClockRate = runs.All(run => run.GuestClockRate is not null) ? MedianAggregator.Median(runs.Select(run => run.GuestClockRate!.Value)) : null,
            ReclaimGuestMs = runs.All(run => run.ReclaimGuestMs is not null) ? MedianAggregator.Median(runs.Select(run => run.ReclaimGuestMs!.Value)) : null,
        };
    }

    private static string Column(GuestReportingRun run) =>
        $"{GuestRamBackings.Name(run.Backing)} {GuestBenchDevices.Name(run.Device)}" + (run.Driver == GuestBenchDriver.Stock ? "" : " " + GuestBenchDrivers.Name(run.Driver));

    private static string Share(long part, long whole) => (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Rate(double? rate) => rate is { } value ? value.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static string Optional(double? ms) => ms is { } value ? GuestBenchTableWriter.Ms(value) : "-";
}
