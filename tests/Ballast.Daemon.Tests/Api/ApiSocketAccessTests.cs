using Ballast.Balloon.Device;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>
/// Who may use the management API: the socket file is 0600 from the moment it can be connected to, and a
/// connection whose peer is not this user or root — or cannot be told — is refused.
/// </summary>
public class ApiSocketAccessTests
{
    [Fact]
    public async Task ApiSocket_Is0600_WheneverItListens()
    {
        using var directory = new TempDirectory();
        var path = directory.File("api.sock");
        var recorder = new SocketModeRecorder(path);
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var poller = new StatisticsPoller(device, 0);

        await using (var api = await ManagementApi.StartAsync(path, device, new FakeBalloonBackend(), poller, recorder))
        {
            Assert.Equal(UnixMode.OwnerReadWrite, UnixMode.Of(path));
        }

        // Kestrel logs when it listens, before StartAsync returns: the mode must already be 0600 then.
        Assert.Contains(recorder.Seen, s => s.Message.Contains("listening", StringComparison.OrdinalIgnoreCase));
        Assert.All(recorder.Seen, s => Assert.True(s.Mode == UnixMode.OwnerReadWrite,
            $"the API socket had mode {Convert.ToString((int)s.Mode, 8)} when this was logged: {s.Message}"));
    }
}
