using System.Text.Json;
using Ballast.Native.Tests.Infrastructure;
using Ballast.TestKit;

namespace Ballast.Native.Tests;

/// <summary>
/// <c>ballastd serve</c> (with its supervisor) on a temporary socket, a simulated QEMU and guest connected over the real
/// vhost-user protocol, and <c>ballastd balloon get|set</c> against its management API: the AOT build's Kestrel,
/// minimal-API endpoints and source-generated JSON at work.
/// </summary>
[Collection(NativeCollection.Name)]
public class ServeTests(NativeBinaryFixture native)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Serve_WithAConnectedGuest_BalloonGetShowsItConnected()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var daemon = await StartServeAsync(native.BinaryPath, socket, api);
        using var guest = new ConnectedGuest(socket);

        var (exitCode, stdout, stderr) = await Ballastd.RunAsync(native.BinaryPath, s_timeout, "balloon", "get", "--api", api, "--json");

        Assert.True(exitCode == 0, $"balloon get exited {exitCode}: {stderr}\n{daemon.Log}");
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("connected").GetBoolean(), stdout);
        // The guest's RAM as its memory table describes it (the simulated layout leaves a hole below 64 MiB).
        var guestBytes = json.RootElement.GetProperty("guest_bytes").GetInt64();
        Assert.InRange(guestBytes, 63L << 20, 64L << 20);
        Assert.Contains("-chardev socket,id=", daemon.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_BalloonSetWait_TheGuestInflatesToTheTarget()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var daemon = await StartServeAsync(native.BinaryPath, socket, api);
        using var guest = new ConnectedGuest(socket);
        using var follow = new CancellationTokenSource();
        var driver = Task.Run(async () =>
        {
            // Like Linux's update_balloon_size work: follow the target the config space announces.
            while (!follow.IsCancellationRequested)
            {
                var target = (ulong)guest.Driver.ReadTarget();
                if (target > guest.Driver.NumPages)
                    guest.Driver.Inflate(target - guest.Driver.NumPages);
                await Task.Delay(10);
            }
        });

        var (exitCode, _, stderr) = await Ballastd.RunAsync(native.BinaryPath, s_timeout, "balloon", "set", "--target", "16M", "--api", api, "--wait");
        await follow.CancelAsync();
        await driver;

        Assert.True(exitCode == 0, $"balloon set exited {exitCode}: {stderr}\n{daemon.Log}");
        Assert.Equal(4096UL, guest.Driver.NumPages);
    }

    internal static async Task<Ballastd> StartServeAsync(string binary, string socket, string api)
    {
        var daemon = Ballastd.Start(binary, "serve", "--socket", socket, "--api", api);
        var ready = await UnixHttp.WaitUntilAsync(() => daemon.ServesLogged > 0 || daemon.Process.HasExited, s_timeout);
        Assert.True(ready && !daemon.Process.HasExited, $"ballastd serve did not start: {daemon.Log}");
        return daemon;
    }
}
