using Ballast.GuestBench;
using Ballast.Guest.Tests.Infrastructure;
using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.Guest.Tests;

/// <summary>
/// Guests whose RAM is a 2 MiB hugetlb memfd (<c>memory-backend-memfd,hugetlb=on,hugetlbsize=2M</c>; the guest holds a
/// <see cref="HugePageReservation"/> of its 1024 pages plus a margin while QEMU runs and puts <c>vm.nr_hugepages</c>
/// back afterwards), one boot per driver: Linux's stock virtio_balloon against the daemon releasing synchronously, and
/// Ballast's module with 2 MiB blocks (<c>sg-highorder</c>) over SG with must-tell-host and <c>--defer-release</c>.
/// Each guest dirtied 1600 MiB at boot (guest-bench's conditions). On each: the RAM really is hugetlb, an inflate of
/// 1.5 GiB frees at least 95% of it as whole huge pages (st_blocks, the pool's free huge pages and QEMU's hugetlb
/// mapping move together), a deflate brings MemFree back; then with hogs that check their pages every second (a huge
/// page released while it still held guest data shows up as <c>hog corrupt</c>), frames are deflated inside released
/// huge pages, taken by a new hog, and inflated again beside the hogs' pages; the device and the guest still agree,
/// nothing is OOM-killed, no hog corrupt, no kernel trouble.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class HugetlbGuestTests(GuestFixture fixture)
{
    private const long MiB = 1L << 20;
    private const long InflateBytes = 1536 * MiB;
    private const long Slack = 4 * 2 * MiB;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(GuestBenchDriver.Stock)]
    [InlineData(GuestBenchDriver.SgHighOrder)]
    public async Task HugetlbGuest_InflateFreesWholeHugePages_DeflateAndReinflate_HogIntact(GuestBenchDriver driver)
    {
        var sg = GuestBenchDrivers.UsesSg(driver);
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions
        {
            Name = "htlb",
            Backing = MemoryBacking.Hugetlb,
            Features = sg ? "stats,deflate-on-oom,sg,must-tell-host" : "stats,deflate-on-oom",
            DeferRelease = sg,
            Append = $"{GuestBenchDrivers.KernelArguments(driver)} ballast.dirty=1600 ballast.report=0.5",
        });
        await guest.VerifyAsync(async () =>
        {
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            Assert.Equal(GuestBenchDrivers.Module(driver), virtio["driver"]);

            // The RAM is QEMU's hugetlb memfd, and what the guest dirtied sits on huge pages.
            var probe = guest.Qemu.VerifyBacking();
            Assert.True(probe.Hugetlb && probe.BlockSize == 2UL << 20, $"guest RAM file: {probe}");
            var booted = guest.Qemu.HostPages();
            var hostBooted = guest.Qemu.HostMemoryBytes();

            Assert.True(booted.QemuHugetlbBytes >= 1600 * MiB, $"QEMU maps {booted.QemuHugetlbBytes / MiB} MiB of hugetlb memory after dirtying 1600 MiB: {booted}");
            Assert.True(hostBooted % (2 * MiB) == 0, $"st_blocks of a hugetlb file count whole huge pages: {hostBooted}");

            // Inflate 1.5 GiB: at least 95% of it goes back to the hugetlb pool, as whole huge pages.
            var inflate = await BalloonScenarios.InflateReleasesHostMemoryAsync(guest, InflateBytes, s_balloonTimeout);
            var released = inflate.HostBefore - inflate.HostAfter;
            var freed = inflate.PagesAfter.HugetlbFreePages - inflate.PagesBefore.HugetlbFreePages;
            // Read together, the three agree to within what the running guest may fault in between (a few pages).
            Assert.True(Math.Abs(freed * 2 * MiB - released) <= Slack,
                $"HugePages_Free rose by {freed} pages ({inflate.PagesBefore.HugetlbFreePages} -> {inflate.PagesAfter.HugetlbFreePages}) while st_blocks fell by {released / MiB} MiB");
            var unmapped = inflate.PagesBefore.QemuHugetlbBytes - inflate.PagesAfter.QemuHugetlbBytes;
            Assert.True(Math.Abs(unmapped - released) <= Slack, $"QEMU's hugetlb mapping shrank by {unmapped / MiB} MiB, st_blocks by {released / MiB} MiB");

            await BalloonScenarios.DeflateToZeroAsync(guest, InflateBytes, s_balloonTimeout);

            // With hogs holding (and checking every second) memory the balloon gave back: frames deflated inside released
            // huge pages, used again by a new hog, then inflated again beside the hogs' pages.
            await StartHogAsync(guest, 128);
            await guest.SetTargetAndWaitAsync(1024 * MiB, s_balloonTimeout);
            await guest.SetTargetAndWaitAsync(512 * MiB, s_balloonTimeout);
            await StartHogAsync(guest, 256);
            await guest.SetTargetAndWaitAsync(1024 * MiB, s_balloonTimeout);
            var settled = await guest.WaitReleasedAsync(s_balloonTimeout);
            Assert.Equal(1024UL * (ulong)MiB, settled.ActualBytes);
            Assert.Equal(settled.ActualBytes, settled.BalloonedBytes);

            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            var ack = await guest.Qemu.SendConsoleAsync("report");
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: ack.Index);
            Assert.Equal(0, vmstat.Int64("oom_kill"));
            Assert.Equal(0UL, (await guest.StateAsync()).BalloonedBytes);
            Assert.Empty(guest.Serial.All("hog killed"));
            Assert.Empty(guest.Serial.All("hog exited"));
            Assert.False(guest.Qemu.HasExited, $"QEMU exited: {guest.Qemu.ExitReason()}");
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    private static async Task StartHogAsync(BallastGuest guest, int mib)
    {
        var cursor = guest.Serial.Count;
        await guest.Qemu.SendConsoleAsync($"hog {mib}");
        await guest.Qemu.WaitForAsync("hog started", s_balloonTimeout, after: cursor);
    }
}
