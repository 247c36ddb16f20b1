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
/// Each guest dirtied 1600 MiB at boot and runs a 128 MiB hog that checks its pages every second from boot to the
/// end, so any huge page released while it still held guest data shows up as <c>hog corrupt</c>. On each: the RAM
/// really is hugetlb, an inflate of 1.5 GiB frees at least 95% of it (st_blocks, and the pool's free huge pages rise by
/// as many), a deflate brings MemFree back, then frames are deflated inside released huge pages and inflated again
/// while a new hog takes memory, and the device and the guest still agree, with no hog corrupt and no kernel trouble.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class HugetlbGuestTests(GuestFixture fixture)
{
    private const long MiB = 1L << 20;
    private const long InflateBytes = 1536 * MiB;
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
            Append = $"{GuestBenchDrivers.KernelArguments(driver)} ballast.dirty=1600 ballast.hog=128 ballast.report=0.5",
        });
        await guest.VerifyAsync(async () =>
        {
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            Assert.Equal(GuestBenchDrivers.Module(driver), virtio["driver"]);
            Assert.NotNull(guest.Serial.Last("hog started"));

            // The RAM is QEMU's hugetlb memfd, and what the guest dirtied sits on huge pages.
            var probe = guest.Qemu.VerifyBacking();
            Assert.True(probe.Hugetlb && probe.BlockSize == 2UL << 20, $"guest RAM file: {probe}");
            var booted = guest.Qemu.HostPages();
            var hostBooted = guest.Qemu.HostMemoryBytes();
            Assert.True(booted.QemuHugetlbBytes >= 1600 * MiB, $"QEMU maps {booted.QemuHugetlbBytes / MiB} MiB of hugetlb memory after dirtying 1600 MiB: {booted}");
            Assert.True(hostBooted % (2 * MiB) == 0, $"st_blocks of a hugetlb file count whole huge pages: {hostBooted}");

            // Inflate 1.5 GiB: at least 95% of it goes back to the hugetlb pool.
            await BalloonScenarios.InflateReleasesHostMemoryAsync(guest, InflateBytes, s_balloonTimeout);
            var inflated = guest.Qemu.HostPages();
            var freed = inflated.HugetlbFreePages - booted.HugetlbFreePages;
            Assert.True(freed * 2 * MiB >= InflateBytes * 0.95,
                $"HugePages_Free rose by {freed} pages ({booted.HugetlbFreePages} -> {inflated.HugetlbFreePages}); 95% of {InflateBytes / MiB} MiB is {InflateBytes * 0.95 / (2 * MiB):0} pages");
            var unmapped = booted.QemuHugetlbBytes - inflated.QemuHugetlbBytes;
            Assert.True(unmapped >= InflateBytes * 0.95, $"QEMU's hugetlb mapping shrank by only {unmapped / MiB} MiB: {booted} -> {inflated}");

            await BalloonScenarios.DeflateToZeroAsync(guest, InflateBytes, s_balloonTimeout);

            // Frames deflated inside released huge pages, used again by a new hog, then inflated again.
            await guest.SetTargetAndWaitAsync(1024 * MiB, s_balloonTimeout);
            await guest.SetTargetAndWaitAsync(512 * MiB, s_balloonTimeout);
            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("hog 256");
            await guest.Qemu.WaitForAsync("hog started", s_balloonTimeout, after: cursor);
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
}
