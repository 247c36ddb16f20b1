using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// VIRTIO_BALLOON_F_DEFLATE_ON_OOM with the stock driver: a 2 GiB guest with a 1.5 GiB balloon starts a 1 GiB hog
/// (the <c>hog 1024</c> console command). With the feature, the driver's OOM notifier gives balloon pages back, so
/// the hog gets its memory and nothing is OOM-killed; without it, the balloon holds and the OOM killer kills the hog.
/// One boot each.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class DeflateOnOomTests(GuestFixture fixture)
{
    private const long MiB = 1L << 20;
    private const long InflateBytes = 1536 * MiB;
    private static readonly TimeSpan s_hogTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task WithDeflateOnOom_HogGetsItsMemory_NoOomKill_BalloonShrinks()
    {
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions { Name = "doom", Features = "stats,deflate-on-oom" });
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await guest.SetTargetAndWaitAsync(InflateBytes, TimeSpan.FromSeconds(90));

            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("hog 1024");
            var started = await guest.Qemu.WaitForAsync("hog started", s_hogTimeout, after: cursor);
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: started.Index);
            var state = await guest.StateAsync();

            Assert.DoesNotContain(guest.Serial.All("hog killed"), e => e.Index >= cursor);
            Assert.Equal(0, vmstat.Int64("oom_kill"));
            Assert.True(vmstat.Int64("balloon_deflate") > 0, $"the balloon gave nothing back: {vmstat}");
            Assert.True(state.ActualBytes < (ulong)InflateBytes, $"actual {state.ActualBytes} did not shrink below the {InflateBytes}-byte target");
            // The 1 GiB hog fits only if the balloon gave back at least what it lacked.
            Assert.True(state.ActualBytes <= (2UL << 30) - (1UL << 30), $"actual {state.ActualBytes / MiB} MiB leaves no room for a 1 GiB hog");

            // Let go: otherwise the driver keeps re-inflating towards the target against the hog.
            await guest.SetTargetAndWaitAsync(0, TimeSpan.FromSeconds(90));
        });
    }

    [Fact]
    public async Task WithoutDeflateOnOom_HogIsOomKilled_BalloonHolds()
    {
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions { Name = "nodoom", Features = "stats" });
        await guest.VerifyAsync(async () =>
        {
            var connected = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(["stats"], connected.Features);
            await guest.SetTargetAndWaitAsync(InflateBytes, TimeSpan.FromSeconds(90));

            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("hog 1024");
            var killed = await guest.Qemu.WaitForAsync("hog killed", s_hogTimeout, after: cursor);
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: killed.Index);
            var state = await guest.StateAsync();

            Assert.Equal("9", killed["signal"]);
            Assert.DoesNotContain(guest.Serial.All("hog started"), e => e.Index >= cursor);
            Assert.True(vmstat.Int64("oom_kill") >= 1, $"no OOM kill counted: {vmstat}");
            Assert.Equal(0, vmstat.Int64("balloon_deflate"));
            Assert.Equal((ulong)InflateBytes, state.ActualBytes);
            Assert.False(guest.Qemu.HasExited);
        });
    }
}
