using System.Net.Sockets;
using Ballast.Balloon.Device;
using Ballast.Daemon;
using Ballast.Daemon.Client;
using Ballast.Linux;
using Ballast.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.GuestLab.Tests;

/// <summary>
/// <see cref="DaemonProcess"/>'s readiness: it waits until the management API answers and the vhost-user socket is
/// there — not for a line of output — without connecting to the vhost-user socket, and fails with the daemon's output
/// when the daemon exits or never gets there. Against stand-ins (a <c>sleep</c> or <c>sh</c> process, an API and a
/// listening socket made by the test) and against the real <c>ballast serve</c> (ballast.dll beside these tests).
/// </summary>
public sealed class DaemonProcessReadinessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    /// <summary>Long enough for many polls of the readiness loop.</summary>
    private static readonly TimeSpan s_severalPolls = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Wait_ReturnsOnlyOnceTheApiAnswers_AndTheVhostUserSocketIsThere_WithoutConnectingToIt()
    {
        using var directory = new TempDirectory();
        var socketPath = directory.File("b.sock");
        var apiPath = directory.File("api.sock");
        await using var process = ChildProcess.Start("sleep", ["60"], "ballast serve");

        var wait = DaemonProcess.WaitUntilListeningAsync(process, socketPath, apiPath, s_timeout);
        await Task.Delay(s_severalPolls);
        Assert.False(wait.IsCompleted, "ready with neither socket there");

        await using (var api = await StartApiAsync(apiPath))
        {
            using (var client = new BalloonApiClient(apiPath))
                await client.GetBalloonAsync();
            await Task.Delay(s_severalPolls);
            Assert.False(wait.IsCompleted, "ready without the vhost-user socket");

            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);
            await wait.WaitAsync(s_timeout);

            Assert.False(listener.Poll(0, SelectMode.SelectRead), "the readiness check connected to the vhost-user socket");
        }
    }

    [Fact]
    public async Task Wait_VhostUserSocketWithoutAnApi_IsNotReady_AndTheTimeOutSaysWhatIsMissing()
    {
        using var directory = new TempDirectory();
        var socketPath = directory.File("b.sock");
        await using var process = ChildProcess.Start("sh", ["-c", "echo 'serve output'; exec sleep 60"], "ballast serve");
        await GuestWait.UntilAsync(_ => Task.FromResult(process.StandardOutputLines().Count > 0), s_timeout, TimeSpan.FromMilliseconds(20),
            () => "the shell's line");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DaemonProcess.WaitUntilListeningAsync(process, socketPath, directory.File("api.sock"), TimeSpan.FromMilliseconds(500)));

        Assert.StartsWith("ballast serve did not listen within", e.Message, StringComparison.Ordinal);
        Assert.Contains($"no management API socket at {directory.File("api.sock")}", e.Message, StringComparison.Ordinal);
        Assert.Contains("serve output", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_TheQemuArgumentsPrinted_WithoutSockets_AreNotReady()
    {
        using var directory = new TempDirectory();
        // What serve prints once it listens; the line alone no longer counts.
        await using var process = ChildProcess.Start("sh", ["-c", "echo '-global virtio-mmio.force-legacy=false'; exec sleep 60"], "ballast serve");
        await GuestWait.UntilAsync(_ => Task.FromResult(process.StandardOutputLines().Count > 0), s_timeout, TimeSpan.FromMilliseconds(20),
            () => "the shell's line");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DaemonProcess.WaitUntilListeningAsync(process, directory.File("b.sock"), directory.File("api.sock"), TimeSpan.FromMilliseconds(500)));

        Assert.StartsWith("ballast serve did not listen within", e.Message, StringComparison.Ordinal);
        Assert.Contains("-global virtio-mmio.force-legacy=false", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_TheProcessExits_FailsAtOnce_WithItsStatusAndOutput()
    {
        using var directory = new TempDirectory();
        await using var process = ChildProcess.Start("sh", ["-c", "echo 'ballast serve: something is wrong' >&2; exit 3"], "ballast serve");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DaemonProcess.WaitUntilListeningAsync(process, directory.File("b.sock"), directory.File("api.sock"), s_timeout).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.StartsWith("ballast serve exited with status 3 before listening:", e.Message, StringComparison.Ordinal);
        Assert.Contains("ballast serve: something is wrong", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_RealServe_ReturnsWithBothSocketsServing_AndNoFrontEndConnected()
    {
        using var directory = new TempDirectory();
        await using var daemon = await DaemonProcess.StartAsync(new DaemonOptions
        {
            SocketPath = directory.File("b.sock"),
            ApiPath = directory.File("api.sock"),
            StartTimeout = s_timeout,
        });

        Assert.True(UnixSocketFile.IsSocket(daemon.SocketPath), "no vhost-user socket");
        using (var client = daemon.CreateClient())
            Assert.False((await client.GetBalloonAsync()).Connected);
        Assert.DoesNotContain("front-end connected", daemon.Log(), StringComparison.Ordinal);

        Assert.Equal(0, await daemon.StopAsync());
        Assert.False(Path.Exists(daemon.SocketPath), "the vhost-user socket is still there");
    }

    [Fact]
    public async Task StartAsync_RealServe_OverTheStaleSocketsOfACrashedDaemon_ReturnsOnceItsOwnListen()
    {
        using var directory = new TempDirectory();
        var socketPath = directory.File("b.sock");
        var apiPath = directory.File("api.sock");
        foreach (var path in new[] { socketPath, apiPath })
        {
            // A socket file nobody listens on, as SIGKILL leaves it (Socket.Dispose unlinks the path it bound: bind
            // elsewhere and move the file into place).
            using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            stale.Bind(new UnixDomainSocketEndPoint(path + ".tmp"));
            File.Move(path + ".tmp", path);
        }
        Assert.True(UnixSocketFile.IsSocket(socketPath) && UnixSocketFile.IsSocket(apiPath));

        await using var daemon = await DaemonProcess.StartAsync(new DaemonOptions { SocketPath = socketPath, ApiPath = apiPath, StartTimeout = s_timeout });

        using (var client = daemon.CreateClient())
            await client.GetBalloonAsync();
        // Last, as it makes the daemon take this test for QEMU: the vhost-user socket takes a connection.
        using var front = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await front.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
    }

    /// <summary>The management API on <paramref name="path"/>, over a driver-less device and a fake transport.</summary>
    private static async Task<ManagementApi> StartApiAsync(string path)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        var poller = new StatisticsPoller(device, 0);
        using var timeout = new CancellationTokenSource(s_timeout);
        return await ManagementApi.StartAsync(path, device, new FakeBalloonBackend(), poller, NullLoggerFactory.Instance, timeout.Token);
    }
}
