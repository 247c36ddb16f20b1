using System.Globalization;
using Ballast.Daemon.Api;
using Ballast.GuestLab;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// Free page reporting (VIRTIO_BALLOON_F_PAGE_REPORTING, issue #13) on a real guest, the same for every driver: a
/// 1 GiB hog touches its memory, <c>unhog</c> frees it, the guest kernel's page reporting core reports the free blocks
/// and the daemon releases the host memory behind them — no balloon target involved. Each runs inside
/// <see cref="BallastGuest.VerifyAsync"/>.
/// </summary>
internal static class ReportingScenarios
{
    /// <summary>The hog's size: 1 GiB.</summary>
    public const long HogBytes = 1L << 30;

    /// <summary>
    /// The bound issue #13 sets: the host has ≥ 90% of the hog back within 10 s of <c>unhog</c> — counted from the moment
    /// the host saw <c>BALLAST hog freed</c> (the hog's memory unmapped, after its last check of every page, which
    /// under TCG took 0.1–1.2 s here and is no part of reporting). Most of the 10 s is the guest kernel's own pace:
    /// Linux 6.1's page reporting waits 2 s after a free and then reports, per free list, about a sixteenth of it plus
    /// one batch per pass, 2 s apart (mm/page_reporting.c), so 1 GiB takes four passes, ≈ 8 s.
    /// </summary>
    public static readonly TimeSpan ReclaimBound = TimeSpan.FromSeconds(10);

    /// <summary>VIRTIO_BALLOON_F_PAGE_REPORTING.</summary>
    public const int PageReportingBit = Balloon.Device.BalloonFeatures.PageReporting;

    private const long MiB = 1L << 20;
    private static readonly TimeSpan s_hogTimeout = TimeSpan.FromMinutes(2);
    private static readonly string[] s_hogOutcomes = ["hog started", "hog exited", "hog killed"];

    /// <summary>
    /// The driver negotiated PAGE_REPORTING, the API lists it, and QEMU was given the daemon's queue count and the
    /// 16-byte config space that reporting implies.
    /// </summary>
    public static async Task NegotiatedAsync(BallastGuest guest, string driver)
    {
        var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
        Assert.Equal("0x0005", virtio["id"]);
        Assert.Equal(driver, virtio["driver"]);
        var negotiated = Facts.FeatureBits(virtio);
        Assert.True((negotiated & (1UL << PageReportingBit)) != 0, $"PAGE_REPORTING (bit {PageReportingBit}) not negotiated: {Facts.BitList(negotiated)}");

        var state = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(BalloonFeatureNames.PageReporting, state.Features);
        var shape = guest.Options.Shape;
        Assert.Equal(16, shape.ConfigSize);
        var device = File.ReadAllLines(guest.Directory.HostFile(QemuGuest.CommandLineName)).SkipWhile(arg => arg != "-device").Skip(1).First();
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $",num_vqs={shape.Queues},config_size={shape.ConfigSize}"), device, StringComparison.Ordinal);
    }

    /// <summary>
    /// <paramref name="cycles"/> times: a 1 GiB hog starts (touching every page), then <c>unhog</c> (its last check
    /// passes, it frees the memory and exits 0) and the host memory behind guest RAM drops by at least 90% of 1 GiB
    /// within 10 s of the hog's free (<see cref="ReclaimBound"/>). The daemon counts reports, and what it released for them covers at least that much
    /// per cycle; the balloon stays as it was. Returns each cycle's trace.
    /// </summary>
    public static async Task<IReadOnlyList<ReclaimTrace>> HogUnhogCyclesAsync(BallastGuest guest, int cycles)
    {
        var start = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        var traces = new List<ReclaimTrace>();
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var before = await guest.StateAsync();
            var trace = await HogThenUnhogAsync(guest, cycle);
            var after = await guest.StateAsync();
            traces.Add(trace);

            Assert.True(after.Reports > before.Reports, $"cycle {cycle}: the daemon saw no report ({before.Reports} -> {after.Reports}); {trace}");
            var released = (long)(after.ReportReleasedBytes - before.ReportReleasedBytes);
            Assert.True(released >= HogBytes * 9 / 10,
                $"cycle {cycle}: the daemon released {released / MiB} MiB for reports, less than 90% of the hog; {trace}");
            Assert.Equal(0UL, after.ReportMalformedEntries);
            Assert.Equal(start.ActualBytes, after.ActualBytes);
            Assert.Equal(start.BalloonedBytes, after.BalloonedBytes);
        }
        return traces;
    }

    private static async Task<ReclaimTrace> HogThenUnhogAsync(BallastGuest guest, int cycle)
    {
        var cursor = guest.Serial.Count;
        await guest.Qemu.SendConsoleAsync(string.Create(CultureInfo.InvariantCulture, $"hog {HogBytes / MiB}"));
        var outcome = await guest.Serial.WaitForAnyAsync(s_hogOutcomes, s_hogTimeout, cursor, guest.Qemu.ExitReason);
        Assert.True(outcome.Name == "hog started", $"cycle {cycle}: the hog did not start: {outcome}");

        var trace = await HostReclaim.UnhogAsync(guest.Qemu, ReclaimWatch.For(HogBytes) with { Timeout = TimeSpan.FromSeconds(60) });
        var exited = guest.Serial.All("hog exited").LastOrDefault(e => e.Index >= cursor);
        Assert.True(exited is not null && exited["pid"] == outcome["pid"] && exited["rc"] == "0", $"cycle {cycle}: the hog did not exit cleanly: {exited}");
        Assert.Contains(guest.Serial.All("hog freed"), e => e.Index >= cursor);

        var freedAt = trace.FreedMs ?? throw new InvalidOperationException($"cycle {cycle}: the watch never saw hog freed; {trace}");
        var reclaimedAt = trace.MsToReclaim(HogBytes * 9 / 10);
        Assert.True(reclaimedAt is { } ms && ms - freedAt <= ReclaimBound.TotalMilliseconds,
            $"cycle {cycle}: the host did not get 90% of the {HogBytes / MiB} MiB hog back within {ReclaimBound.TotalSeconds:0} s of the hog's free "
            + $"(reached at {reclaimedAt?.ToString("0", CultureInfo.InvariantCulture) ?? "never"} ms after unhog); {trace}");
        return trace;
    }

    /// <summary>
    /// The same cycles with the balloon inflated to <paramref name="balloonBytes"/> first and held there: reporting
    /// and ballooning side by side. The balloon reaches its target, keeps it through the cycles (the guest's
    /// <c>actual</c> and the device's ballooned bytes), and deflates to 0 afterwards.
    /// </summary>
    public static async Task<IReadOnlyList<ReclaimTrace>> WithBalloonInflatedAsync(BallastGuest guest, long balloonBytes, int cycles, TimeSpan balloonTimeout)
    {
        await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        await guest.SetTargetAndWaitAsync(balloonBytes, balloonTimeout);
        await guest.WaitReleasedAsync(balloonTimeout);

        var traces = await HogUnhogCyclesAsync(guest, cycles);
        var state = await guest.StateAsync();
        Assert.Equal((ulong)balloonBytes, state.ActualBytes);
        Assert.Equal((ulong)balloonBytes, state.BalloonedBytes);

        await guest.SetTargetAndWaitAsync(0, balloonTimeout);
        Assert.Equal(0UL, (await guest.StateAsync()).BalloonedBytes);
        return traces;
    }

    /// <summary>Writes each cycle's trace and when 90% of the hog was back to the test output.</summary>
    public static void Print(ITestOutputHelper output, IReadOnlyList<ReclaimTrace> traces)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(traces);
        for (var i = 0; i < traces.Count; i++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cycle {i + 1}: 90% of the hog back {traces[i].MsToReclaim(HogBytes * 9 / 10) - traces[i].FreedMs:0} ms after its free; {traces[i]}"));
        }
    }
}
