using System.Text.Json;
using Ballast.Native.Tests.Infrastructure;
using Ballast.TestKit;

namespace Ballast.Native.Tests;

/// <summary>
/// The native supervisor re-executes <c>ballastd</c> itself as its worker: a <c>kill -9</c> of the worker mid-session
/// brings a new worker that serves the same connection (the front-end never notices).
/// </summary>
[Collection(NativeCollection.Name)]
public class SupervisorTests(NativeBinaryFixture native)
{
    private const int SigKill = 9;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task KillWorker_TheSupervisorStartsANewOne_AndTheSessionGoesOn()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var daemon = await ServeTests.StartServeAsync(native.BinaryPath, socket, api);
        using var guest = new ConnectedGuest(socket);
        Assert.Equal(1024UL, guest.Driver.Inflate(1024));
        var worker = daemon.Worker() ?? throw new InvalidOperationException($"no worker: {daemon.Log}");
        Assert.Equal(native.BinaryPath, Path.GetFullPath(File.ReadAllText($"/proc/{worker}/cmdline").Split('\0')[0]));

        Assert.Equal(0, Ballastd.Signal(worker, SigKill));
        var back = await UnixHttp.WaitUntilAsync(() => daemon.ServesLogged > 1 || daemon.Process.HasExited, s_timeout);

        Assert.True(back && !daemon.Process.HasExited, $"no new worker after kill -9 {worker}: {daemon.Log}");
        Assert.NotEqual(worker, daemon.Worker());
        // The same connection, served by the new worker.
        Assert.Equal(1024UL, guest.Driver.Inflate(1024));
        var (exitCode, stdout, stderr) = await Ballastd.RunAsync(native.BinaryPath, s_timeout, "balloon", "get", "--api", api, "--json");
        Assert.True(exitCode == 0, $"balloon get exited {exitCode}: {stderr}");
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("connected").GetBoolean(), stdout);
        Assert.Equal(2048L * 4096, json.RootElement.GetProperty("ballooned_bytes").GetInt64());
    }
}
