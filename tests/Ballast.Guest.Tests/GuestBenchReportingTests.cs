using System.Text.Json;
using Ballast.GuestLab;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// <c>ballast guest-bench --reporting --device both --repeat 1 --json</c> as a process: exactly one JSON object of the
/// documented shape on standard output, one run per device (QEMU's balloon with <c>free-page-reporting=on</c>, then
/// Ballast's daemon with page-reporting, the stock driver on 4 KiB guest RAM), and both gave the host memory back after
/// the hog let go. How much and how fast is what the full runs are for (guest/README.md); no figure is asserted.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class GuestBenchReportingTests(GuestFixture fixture)
{
    private const long HogBytes = 1L << 30;

    [Fact]
    public async Task GuestBenchReporting_BothDevices_PrintsTheJson_AndBothReclaimHostMemory()
    {
        using var json = await GuestBenchProcess.RunJsonAsync(fixture, ["--reporting", "--device", "both", "--repeat", "1", "--json"], TimeSpan.FromMinutes(5));
        var root = json.RootElement;
        Assert.Equal(["guest_mem_bytes", "hog_bytes", "poll_interval_ms", "settle_window_ms", "settle_band_bytes", "runs"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2L << 30, root.GetProperty("guest_mem_bytes").GetInt64());
        Assert.Equal(HogBytes, root.GetProperty("hog_bytes").GetInt64());
        var watch = ReclaimWatch.For(HogBytes);
        Assert.Equal(watch.Interval.TotalMilliseconds, root.GetProperty("poll_interval_ms").GetDouble());
        Assert.Equal(watch.SettleWindow.TotalMilliseconds, root.GetProperty("settle_window_ms").GetDouble());
        Assert.Equal(watch.SettleBandBytes, root.GetProperty("settle_band_bytes").GetInt64());

        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["qemu", "ballast"], runs.Select(run => run.GetProperty("device").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal(["device", "driver", "host_bytes_before", "host_bytes_after", "reclaim_ms", "backing", "reclaimed_bytes", "reclaim_90_ms",
                "hog_freed_ms", "hog_exited_ms", "ram_block_bytes", "host_pages_before", "host_pages_after", "guest_clock_rate", "reclaim_guest_ms",
                "report_released_bytes", "reports", "device_ms_per_report"],
                run.EnumerateObject().Select(p => p.Name));
            Assert.Equal("4k", run.GetProperty("backing").GetString());
            Assert.Equal("stock", run.GetProperty("driver").GetString());
            var before = run.GetProperty("host_bytes_before").GetInt64();
            var after = run.GetProperty("host_bytes_after").GetInt64();
            Assert.True(before >= HogBytes, $"{run.GetProperty("device")}: only {before >> 20} MiB behind guest RAM with the hog holding 1 GiB: {run}");
            Assert.Equal(before - after, run.GetProperty("reclaimed_bytes").GetInt64());
            Assert.True(before - after > 0, $"{run.GetProperty("device")} reclaimed nothing: {run}");
            Assert.True(run.GetProperty("hog_exited_ms").GetDouble() > 0, run.ToString());
            Assert.Equal(JsonValueKind.Number, run.GetProperty("reclaim_90_ms").ValueKind);
            // The guest's clock against the host's over the watch: a TCG guest loses late PIT interrupts (0.83-0.86x seen
            // on a loaded host, 0.985-1.000x on a quiet one); far outside that, the two readings it comes from are wrong.
            var rate = run.GetProperty("guest_clock_rate").GetDouble();
            Assert.InRange(rate, 0.5, 1.1);
            Assert.Equal(run.GetProperty("reclaim_ms").GetDouble() * rate, run.GetProperty("reclaim_guest_ms").GetDouble(), 0.1);
            var reported = run.GetProperty("report_released_bytes");
            if (run.GetProperty("device").GetString() == "qemu")
            {
                Assert.Equal(JsonValueKind.Null, reported.ValueKind);
                Assert.Equal(JsonValueKind.Null, run.GetProperty("reports").ValueKind);
                Assert.Equal(JsonValueKind.Null, run.GetProperty("device_ms_per_report").ValueKind);
            }
            else
            {
                Assert.True(reported.GetInt64() > 0, $"the daemon released nothing for reports: {run}");
                Assert.True(run.GetProperty("reports").GetInt64() > 0, $"the daemon counted no report: {run}");
                Assert.True(run.GetProperty("device_ms_per_report").GetDouble() > 0, $"no time per report: {run}");
            }
        }
    }
}
