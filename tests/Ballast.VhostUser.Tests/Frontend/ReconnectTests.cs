using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Frontend;

/// <summary>
/// When the front-end goes away, the session is torn down (rings stopped, memory unmapped, device reset with its
/// target kept) and the next front-end is served as if new.
/// </summary>
public sealed class ReconnectTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NewFrontend_AfterTheOldOneLeft_Works(bool abort)
    {
        using var server = new ServerHarness(new BalloonDeviceOptions { ScatterGather = true, MustTellHost = true });
        var first = new GuestHarness(server: server);
        first.Driver.Inflate(2048);
        server.Device.SetTargetPages(2048);
        Assert.Equal(2048UL, server.Device.BalloonedPages);
        if (abort)
        {
            first.Frontend.Abort();
            Thread.Sleep(10);
        }
        first.Dispose();
        server.WaitDisconnected();

        Assert.Equal(0UL, server.Server.GuestRamBytes);
        Assert.Null(server.Device.Memory);
        Assert.Equal(0UL, server.Device.BalloonedPages);
        Assert.Equal(0u, server.Device.Actual);
        Assert.Equal(2048u, server.Device.NumPages);

        using var second = new GuestHarness(server: server);
        Assert.Equal(2048u, second.Driver.ReadTarget());
        Assert.Equal(1024UL, second.Driver.Inflate(1024));
        Assert.Equal(1024UL, server.Device.BalloonedPages);
        Assert.Equal(second.Guest.Memory.RamBytes, server.Server.GuestRamBytes);
    }

    [Fact]
    public void ImmediateReconnect_IsServedNotRefused()
    {
        using var server = new ServerHarness();
        for (var i = 0; i < 3; i++)
        {
            using var guest = SimulatedGuest.Create(32UL << 20, clean: true);
            using var frontend = new VhostUserFrontend(server.SocketPath, guest.Memory);
            using var driver = new BalloonDriver(guest, frontend);
            driver.Probe();
            Assert.Equal(16UL, driver.Inflate(16));
        }
        Assert.False(server.Logs.Has(102), "a reconnecting front-end was refused");
    }
}
