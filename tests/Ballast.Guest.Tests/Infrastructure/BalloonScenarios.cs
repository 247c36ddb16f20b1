using Ballast.Daemon.Client;
using Ballast.GuestLab;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// The scenarios every balloon driver must pass on a guest that dirtied memory at boot and reports meminfo
/// (the stock driver and Ballast's SG module run the same ones). Each runs inside <see cref="BallastGuest.VerifyAsync"/>.
/// </summary>
internal static class BalloonScenarios
{
    private const long MiB = 1L << 20;

    /// <summary>With a polling interval set, fresh statistics reach GET /balloon/statistics and match /proc/meminfo within 5%.</summary>
    public static async Task StatisticsAgreeWithMeminfoAsync(BallastGuest guest)
    {
        await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        var since = DateTimeOffset.UtcNow;
        await guest.Api.SetPollingIntervalAsync(1);
        try
        {
            Daemon.Api.StatisticsReport? stats = null;
            await GuestWait.UntilAsync(async ct =>
                {
                    try
                    {
                        stats = await guest.Api.GetStatisticsAsync(ct);
                        return stats.UpdatedAt > since;
                    }
                    catch (BalloonApiException e) when (e.StatusCode == 404)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(20), BallastGuest.PollInterval, () => $"statistics newer than {since:O} (last {stats?.UpdatedAt:O})",
                guest.Qemu.ExitReason);
            var meminfo = await guest.FreshMemInfoAsync();

            Assert.Equal(1, stats!.PollingIntervalS);
            AssertWithin5Percent("free_memory vs MemFree", stats.FreeMemory, meminfo.Int64("MemFree"));
            AssertWithin5Percent("total_memory vs MemTotal", stats.TotalMemory, meminfo.Int64("MemTotal"));
            AssertWithin5Percent("available_memory vs MemAvailable", stats.AvailableMemory, meminfo.Int64("MemAvailable"));
        }
        finally
        {
            await guest.Api.SetPollingIntervalAsync(0);
        }
    }

    /// <summary>
    /// Inflating to <paramref name="bytes"/>: actual, target and ballooned bytes reach it, MemFree drops by that much
    /// (±2%), and once the daemon has no release queued, the host memory behind guest RAM (the memfd's st_blocks) drops
    /// by at least 95% of it. Returns the host's readings just before and after (st_blocks and the huge-page counters,
    /// each pair read together).
    /// </summary>
    public static async Task<HostReadings> InflateReleasesHostMemoryAsync(BallastGuest guest, long bytes, TimeSpan timeout)
    {
        await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        var before = await guest.FreshMemInfoAsync();
        var hostBefore = guest.Qemu.HostMemoryBytes();
        var pagesBefore = guest.Qemu.HostPages();
        Assert.True(hostBefore >= bytes, $"only {hostBefore / MiB} MiB behind guest RAM before inflating: did ballast.dirty run?");

        await guest.SetTargetAndWaitAsync(bytes, timeout);
        await guest.WaitReleasedAsync(timeout);
        var hostAfter = guest.Qemu.HostMemoryBytes();
        var pagesAfter = guest.Qemu.HostPages();
        var after = await guest.FreshMemInfoAsync();
        var state = await guest.StateAsync();

        Assert.Equal((ulong)bytes, state.ActualBytes);
        Assert.Equal((ulong)bytes, state.TargetBytes);
        Assert.Equal((ulong)bytes, state.BalloonedBytes);
        var expectedKb = bytes / 1024;
        var dropKb = Facts.MemFreeKb(before) - Facts.MemFreeKb(after);
        Assert.True(Math.Abs(dropKb - expectedKb) <= expectedKb * 0.02,
            $"MemFree dropped by {dropKb} kB ({before} -> {after}); expected {expectedKb} kB ± 2%");
        var released = hostBefore - hostAfter;
        Assert.True(released >= bytes * 0.95,
            $"host memory behind guest RAM went {hostBefore / MiB} -> {hostAfter / MiB} MiB: {released / MiB} MiB released, less than 95% of {bytes / MiB} MiB");
        return new HostReadings(hostBefore, hostAfter, pagesBefore, pagesAfter);
    }

    /// <summary>Host memory behind guest RAM and the huge-page counters just before and just after an inflate.</summary>
    public sealed record HostReadings(long HostBefore, long HostAfter, HostPageCounters PagesBefore, HostPageCounters PagesAfter);

    /// <summary>
    /// Deflating to 0 (after inflating to <paramref name="inflateFirst"/> if the balloon is empty, when run alone):
    /// actual and ballooned bytes 0, MemFree back within 2% of the boot-time value.
    /// </summary>
    public static async Task DeflateToZeroAsync(BallastGuest guest, long inflateFirst, TimeSpan timeout)
    {
        await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        var baseline = guest.Serial.All("meminfo")[0];
        if ((await guest.StateAsync()).ActualBytes == 0)
            await guest.SetTargetAndWaitAsync(inflateFirst, timeout);

        await guest.SetTargetAndWaitAsync(0, timeout);
        var after = await guest.FreshMemInfoAsync();
        var state = await guest.StateAsync();

        Assert.Equal(0UL, state.ActualBytes);
        Assert.Equal(0UL, state.BalloonedBytes);
        var deviation = Math.Abs(Facts.MemFreeKb(after) - Facts.MemFreeKb(baseline)) / (double)Facts.MemFreeKb(baseline);
        Assert.True(deviation <= 0.02, $"MemFree {Facts.MemFreeKb(after)} kB after deflating, {Facts.MemFreeKb(baseline)} kB at boot ({deviation:P1} apart)");
    }

    private static void AssertWithin5Percent(string what, ulong? apiBytes, long guestKb)
    {
        Assert.True(apiBytes is not null, $"{what}: the API has no value");
        var guestBytes = guestKb * 1024.0;
        var deviation = Math.Abs((double)apiBytes!.Value - guestBytes) / guestBytes;
        Assert.True(deviation <= 0.05, $"{what}: API {apiBytes} bytes, guest {guestKb} kB = {guestBytes} bytes ({deviation:P1} apart)");
    }
}
