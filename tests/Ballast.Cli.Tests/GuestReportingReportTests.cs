using Ballast.Cli.Output;
using Ballast.GuestBench;
using Ballast.Virtio.Memory;

namespace Ballast.Cli.Tests;

/// <summary><c>ballast guest-bench --reporting</c>'s JSON, table and medians (no guest needed).</summary>
public sealed class GuestReportingReportTests
{
    private const long MiB = 1L << 20;

    private static GuestReportingRun Run(GuestBenchDevice device, long afterMiB, double reclaimMs, double? reclaim90Ms, long? reported = null) =>
        new(device, GuestBenchDriver.Stock, 1100 * MiB, afterMiB * MiB, reclaimMs)
        {
            Reclaim90Ms = reclaim90Ms,
            HogFreedMs = 300.004,
            HogExitedMs = 320,
            ReportReleasedBytes = reported,
            Reports = reported is null ? null : 8,
            DeviceMsPerReport = reported is null ? null : 20.5,
        };

    private static readonly GuestReportingReport s_report = new(2L << 30, 1L << 30, 50, 4000, 21474836,
    [
        Run(GuestBenchDevice.Qemu, 100, 8844.456, 8000),
        Run(GuestBenchDevice.Ballast, 90, 8000, 7000, 1000 * MiB),
        Run(GuestBenchDevice.Qemu, 120, 9000, 8500),
        Run(GuestBenchDevice.Ballast, 95, 8200, 7500, 1000 * MiB),
        Run(GuestBenchDevice.Qemu, 110, 8900, null),
        Run(GuestBenchDevice.Ballast, 100, 7900, 6900, 1000 * MiB),
    ]);

    [Fact]
    public void Json_HasTheDocumentedShape_MsRounded_ReclaimedSpelledOut()
    {
        var json = GuestBenchJsonWriter.Serialize(s_report with { Runs = s_report.Runs.Take(2).ToList() });

        Assert.Equal(("{'guest_mem_bytes':2147483648,'hog_bytes':1073741824,'poll_interval_ms':50,'settle_window_ms':4000,'settle_band_bytes':21474836,'runs':["
            + "{'device':'qemu','driver':'stock','host_bytes_before':1153433600,'host_bytes_after':104857600,'reclaim_ms':8844.46,'backing':'4k',"
            + "'reclaimed_bytes':1048576000,'reclaim_90_ms':8000,'hog_freed_ms':300,'hog_exited_ms':320,'ram_block_bytes':0,'host_pages_before':null,"
            + "'host_pages_after':null,'guest_clock_rate':null,'reclaim_guest_ms':null,'report_released_bytes':null,'reports':null,'device_ms_per_report':null},"
            + "{'device':'ballast','driver':'stock','host_bytes_before':1153433600,'host_bytes_after':94371840,'reclaim_ms':8000,'backing':'4k',"
            + "'reclaimed_bytes':1059061760,'reclaim_90_ms':7000,'hog_freed_ms':300,'hog_exited_ms':320,'ram_block_bytes':0,'host_pages_before':null,"
            + "'host_pages_after':null,'guest_clock_rate':null,'reclaim_guest_ms':null,'report_released_bytes':1048576000,'reports':8,'device_ms_per_report':20.5}]}").Replace('\'', '"'),
            json);
    }

    [Fact]
    public void Table_ListsEveryRun_ThenMediansPerDevice_AndBallastOverQemu()
    {
        var text = GuestReportingTableWriter.Format(s_report with { Runs = [.. s_report.Runs.Select(run => run with { Backing = MemoryBacking.Hugetlb })] });
        var lines = text.Split('\n');

        Assert.StartsWith("ballast guest-bench --reporting: guest 2 GiB, hog 1 GiB, 3 runs per device and driver; host memory read every 50 ms, settled = 4 s within 20.5 MiB",
            lines[0], StringComparison.Ordinal);
        Assert.Equal(6, lines.Count(line => line.Contains(" hugetlb ", StringComparison.Ordinal) && line.Contains(" stock ", StringComparison.Ordinal)));
        var heading = Assert.Single(lines, line => line.StartsWith("median of 3", StringComparison.Ordinal));
        Assert.Contains("hugetlb qemu", heading, StringComparison.Ordinal);
        Assert.Contains("hugetlb ballast", heading, StringComparison.Ordinal);
        // Medians: qemu after 110 MiB -> 990 back, 8900 ms, one run never reached 90% -> "-"; ballast after 95 -> 1005 back, 8000 ms, 90% at 7000.
        Assert.Matches(@"^reclaimed MiB\s+990\.0\s+1005\.0$", Assert.Single(lines, line => line.StartsWith("reclaimed MiB", StringComparison.Ordinal)));
        Assert.Matches(@"^reclaim ms\s+8900\.0\s+8000\.0$", Assert.Single(lines, line => line.StartsWith("reclaim ms", StringComparison.Ordinal)));
        Assert.Matches(@"^90% ms\s+-\s+7000\.0$", Assert.Single(lines, line => line.StartsWith("90% ms", StringComparison.Ordinal)));
        Assert.Contains("ballast stock / qemu on hugetlb: reclaim 0.90x, reclaimed 1.02x (medians)", lines);
    }

    [Fact]
    public void Table_GuestClock_MedianOfEachRunsGuestTime_AndTheRatioOnTheGuestsClock()
    {
        // Each run's reclaim on the guest's clock is its own host time × its own rate; the median row is the median of
        // those, not the product of the two medians.
        static GuestReportingRun Timed(GuestReportingRun run, double rate) =>
            run with { GuestClockRate = rate, ReclaimGuestMs = run.ReclaimMs * rate };
        double[] rates = [0.98, 0.97, 0.99, 1.0, 0.96, 0.95];
        var runs = s_report.Runs.Select((run, i) => Timed(run, rates[i])).ToList();
        var text = GuestReportingTableWriter.Format(s_report with { Runs = runs });
        var lines = text.Split('\n');

        // qemu: 8844.456×0.98 = 8667.6, 9000×0.99 = 8910, 8900×0.96 = 8544 -> 8667.6; ballast: 7760, 8200, 7505 -> 7760.
        Assert.Matches(@"^guest clock\s+0\.980\s+0\.970$", Assert.Single(lines, line => line.StartsWith("guest clock", StringComparison.Ordinal)));
        Assert.Matches(@"^reclaim guest ms\s+8667\.6\s+7760\.0$", Assert.Single(lines, line => line.StartsWith("reclaim guest ms", StringComparison.Ordinal)));
        Assert.Contains("ballast stock / qemu on 4k: reclaim 0.90x, reclaimed 1.02x, reclaim on the guest's clock 0.90x (medians)", lines);
        Assert.Matches(@"^  1  qemu .*  0\.980 +8667\.6$", lines.First(line => line.StartsWith("  1  qemu", StringComparison.Ordinal)));
    }
}
