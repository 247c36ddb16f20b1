using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestLab;

namespace Ballast.Guest.Tests;

/// <summary>
/// VIRTIO_BALLOON_F_PAGE_POISON with free page reporting under a real kernel that poisons free pages
/// (<c>page_poison=1</c>: every freed page is filled with 0xaa and checked when it is allocated again; a page that reads
/// back otherwise makes the kernel print "pagealloc: memory corruption" with a stack trace). With page-poison offered the
/// stock Linux 6.1 driver negotiates it, writes poison_val 0xaaaaaaaa, and reports free pages; the device keeps them
/// (releasing would read back as zeros) and counts them. Without page-poison offered the driver cannot tell the device
/// and turns reporting off itself. One boot each.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class PagePoisonTests(GuestFixture fixture)
{
    private const int PagePoisonBit = 4;
    private const int PageReportingBit = 5;
    private const ulong LinuxPagePoison = 0xaaaaaaaa;
    private static readonly TimeSpan s_hogTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_reportTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Two rounds of a 512 MiB hog that frees its memory (<c>unhog</c>): the guest reports free blocks, the device skips
    /// every reported byte (poison) and releases none, the kernel's poison checks find nothing, and the hogs found their
    /// pages intact.
    /// </summary>
    [Fact]
    public async Task WithPagePoison_DriverWritesPoisonValue_ReportedPagesAreKept_NoCorruption()
    {
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions
        {
            Name = "poison",
            Features = "stats,page-poison,page-reporting",
            Append = "page_poison=1 ballast.report=0.5",
        });
        await guest.VerifyAsync(async () =>
        {
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            var negotiated = Facts.FeatureBits(virtio);
            Assert.True((negotiated & (1UL << PagePoisonBit)) != 0, $"PAGE_POISON not negotiated: {Facts.BitList(negotiated)}");
            Assert.True((negotiated & (1UL << PageReportingBit)) != 0, $"PAGE_REPORTING not negotiated: {Facts.BitList(negotiated)}");
            var connected = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(LinuxPagePoison, connected.PoisonValue);

            for (var round = 0; round < 2; round++)
            {
                var cursor = guest.Serial.Count;
                await guest.Qemu.SendConsoleAsync("hog 512");
                await guest.Qemu.WaitForAsync("hog started", s_hogTimeout, after: cursor);
                await guest.Qemu.SendConsoleAsync("unhog");
                var exited = await guest.Qemu.WaitForAsync("hog exited", s_hogTimeout, after: cursor);
                Assert.Equal("0", exited["rc"]);
            }
            var state = await guest.StateAsync();
            await GuestWait.UntilAsync(async ct => (state = await guest.StateAsync(ct)).Reports > 0, s_reportTimeout, BallastGuest.PollInterval,
                () => "a free page report", guest.Qemu.ExitReason);

            Assert.True(state.ReportPoisonSkippedBytes > 0, $"no reported byte kept: {state}");
            Assert.Equal(state.ReportedBytes, state.ReportPoisonSkippedBytes);
            Assert.Equal(0UL, state.ReportReleasedBytes);
            Assert.Equal(0UL, state.ReportMalformedEntries);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// A device that offers page-reporting but not page-poison: the poisoning guest does not negotiate reporting (it
    /// could not tell the device what its free pages hold), so nothing is reported while a hog frees 512 MiB.
    /// </summary>
    [Fact]
    public async Task WithoutPagePoison_PoisoningGuestTurnsReportingOff()
    {
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions
        {
            Name = "nopoison",
            Features = "stats,page-reporting",
            Append = "page_poison=1 ballast.report=0.5",
        });
        await guest.VerifyAsync(async () =>
        {
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            var negotiated = Facts.FeatureBits(virtio);
            Assert.True((negotiated & (1UL << PageReportingBit)) == 0, $"PAGE_REPORTING negotiated anyway: {Facts.BitList(negotiated)}");
            var connected = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            Assert.DoesNotContain("page-reporting", connected.Features);

            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("hog 512");
            await guest.Qemu.WaitForAsync("hog started", s_hogTimeout, after: cursor);
            await guest.Qemu.SendConsoleAsync("unhog");
            await guest.Qemu.WaitForAsync("hog exited", s_hogTimeout, after: cursor);
            // Linux's reporting work runs 2 s after free memory builds up: give it several times that.
            await Task.Delay(TimeSpan.FromSeconds(8));
            var state = await guest.StateAsync();
            Assert.Equal(0UL, state.Reports);
            GuestAssert.NoKernelTrouble(guest);
        });
    }
}
