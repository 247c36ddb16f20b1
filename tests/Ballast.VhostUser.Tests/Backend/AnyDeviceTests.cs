using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// The back-end serves any <see cref="IVirtioDevice"/>: a device that is not the balloon gets its features, queue
/// count and config space across, config changes reach the front-end (CONFIG_CHANGE_MSG), and a disconnect resets it.
/// </summary>
public sealed class AnyDeviceTests
{
    [Fact]
    public async Task DummyDevice_IsServedLikeTheBalloon()
    {
        var device = new DummyDevice();
        var directory = Directory.CreateTempSubdirectory("ballast-any-device-");
        using var stop = new CancellationTokenSource();
        var server = new VhostUserServer(Path.Combine(directory.FullName, "dummy.sock"), device);
        var running = server.RunAsync(stop.Token);
        try
        {
            using (var memory = GuestMemory.CreateMemfd(16UL << 20))
            using (var frontend = new VhostUserFrontend(server.SocketPath, memory))
            {
                Assert.Equal(device.OfferedFeatures, frontend.DeviceFeatures);
                Assert.Equal(1, frontend.QueueCount);
                frontend.SetDriverFeatures(frontend.DeviceFeatures);
                Wait.Until(() => device.NegotiatedFeatures == device.OfferedFeatures, "the device did not get the driver's features");

                var config = new byte[4];
                frontend.ReadConfig(0, config);
                Assert.Equal(new byte[] { 0xde, 0xad, 0xbe, 0xef }, config);

                frontend.WriteConfig(1, [0x11, 0x22]);
                frontend.ReadConfig(0, config);
                Assert.Equal(new byte[] { 0xde, 0x11, 0x22, 0xef }, config);
                Wait.Until(() => frontend.ConfigChangeCount > 0, "the device's config change did not reach the front-end");
            }
            Wait.Until(() => !server.IsConnected && device.Resets > 0, "the device was not reset when the front-end left");
        }
        finally
        {
            stop.Cancel();
            await running.WaitAsync(TimeSpan.FromSeconds(15));
            server.Dispose();
            directory.Delete(recursive: true);
        }
    }
}
