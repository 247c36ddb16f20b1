using Ballast.GuestLab;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// The daemon restarted while the guest runs: SIGTERM, then a new <c>ballast serve</c> on the same socket. QEMU's
/// chardev has <c>reconnect-ms</c>, so it connects to the new daemon by itself.
/// </summary>
/// <remarks>
/// QEMU 11.1.3's <c>vhost-user-test-device</c> (hw/virtio/vhost-user-base.c) cannot resume after that reconnect: on
/// the disconnect <c>vub_disconnect</c> calls <c>vhost_dev_cleanup</c>, which zeroes the vhost device, and on the
/// reconnect <c>vub_connect</c> restarts it (the driver is running) without calling <c>vhost_dev_init</c> again, so
/// QEMU aborts with <c>vhost_dev_start: Assertion `hdev->vhost_ops' failed</c> and the guest dies with it. Whether
/// the daemon is a client or a server makes no difference. So this test checks only the daemon's side (clean
/// SIGTERM, socket removed, QEMU outlives the daemon and reconnects to the new one); QEMU resumes only the connection, not the balloon: a test that went on ballooning after the reconnect could only
/// fail, and even the way QEMU dies varies (the assertion, or "vhost VQ n ring restore failed" and SIGABRT with no
/// assertion text), so it was a flaky skip and is gone. Surviving a daemon upgrade or crash without QEMU ever
/// seeing the connection close is the hand-over design of the issue "Upgrade or crash the daemon without the guest or
/// QEMU noticing", tested there.
/// </remarks>
[Collection(GuestCollection.Name)]
public sealed class DaemonRestartTests(GuestFixture fixture)
{
    private const long MiB = 1L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(60);

    private Task<BallastGuest> StartAsync(string name) =>
        fixture.StartBallastGuestAsync(new BallastGuestOptions { Name = name, ReconnectMs = 500 });

    /// <summary>Stops the daemon (SIGTERM: exit 0, socket removed), checks the guest outlives it, starts a new one on the same socket.</summary>
    private static async Task<DaemonProcess> RestartAsync(BallastGuest guest)
    {
        var exit = await guest.StopDaemonAsync();
        Assert.Equal(0, exit);
        Assert.False(File.Exists(guest.Daemon.SocketPath), "the stopped daemon left its socket behind");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(guest.Qemu.HasExited, "QEMU exited when the daemon went away");
        return await guest.RestartDaemonAsync();
    }

    [Fact]
    public async Task DaemonRestart_OnTheSameSocket_QemuReconnects()
    {
        await using var guest = await StartAsync("rs1");
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await guest.SetTargetAndWaitAsync(256 * MiB, s_balloonTimeout);
            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);

            var daemon = await RestartAsync(guest);
            await GuestWait.UntilAsync(_ => Task.FromResult(daemon.Log().Contains("vhost-user front-end connected", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50), () => "QEMU to connect to the restarted daemon");
        });
    }

    /// <summary>
    /// What a plain restart would give with a QEMU whose <c>vhost-user-test-device</c> survives a back-end reconnect:
    /// the balloon working again after the new daemon took the connection. Skipped: QEMU ≤ 11.1.3 aborts on that
    /// reconnect (see the remarks above and the README, "Crashes and upgrades"). Ballast does not need it: the
    /// supervisor keeps the connection open across crashes and upgrades (WorkerCrashTests, TakeOverTests).
    /// </summary>
    [Fact(Skip = "QEMU <= 11.1.3 aborts when a vhost-user-test-device back-end reconnects (vub_connect restarts the device "
        + "without vhost_dev_init: \"vhost_dev_start: Assertion `hdev->vhost_ops' failed\"); Ballast keeps the connection open instead")]
    public async Task DaemonRestart_ThenTheBalloonWorksAgain_NeedsAQemuThatSurvivesAReconnect()
    {
        await using var guest = await StartAsync("rs2");
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await guest.SetTargetAndWaitAsync(256 * MiB, s_balloonTimeout);
            await RestartAsync(guest);
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(30));
            await guest.SetTargetAndWaitAsync(512 * MiB, s_balloonTimeout);
            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            Assert.False(guest.Qemu.HasExited, $"QEMU exited: {guest.Qemu.ExitReason()}");
        });
    }
}
