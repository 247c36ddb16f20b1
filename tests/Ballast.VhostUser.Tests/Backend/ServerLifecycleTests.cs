using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Tests.Support;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>Binding, stopping, and what the server reports.</summary>
public sealed class ServerLifecycleTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ballast-vu-life-");

    private string SocketPath => Path.Combine(_dir.FullName, "s.sock");

    [Fact]
    public async Task RunAsync_RemovesAStaleSocketFile()
    {
        UnixSocket.Listen(SocketPath, 1).Dispose(); // leaves the socket file, with nobody listening
        Assert.True(File.Exists(SocketPath));
        using var cts = new CancellationTokenSource();
        using var server = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));

        var run = server.RunAsync(cts.Token);
        using (var client = new RawClient(SocketPath))
            client.GetFeatures();
        await cts.CancelAsync();

        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public async Task RunAsync_RefusesAPathThatIsNotASocket()
    {
        await File.WriteAllTextAsync(SocketPath, "not a socket");
        using var server = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));

        await Assert.ThrowsAsync<IOException>(() => server.RunAsync(CancellationToken.None));
        Assert.True(File.Exists(SocketPath));
    }

    [Fact]
    public async Task RunAsync_RefusesASocketAnotherServerListensOn()
    {
        using var cts = new CancellationTokenSource();
        using var first = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));
        var run = first.RunAsync(cts.Token);
        using var second = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));

        var ex = await Assert.ThrowsAsync<IOException>(() => second.RunAsync(CancellationToken.None));
        Assert.Contains("another process is listening", ex.Message, StringComparison.Ordinal);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Cancel_WithAFrontendConnected_EndsTheSessionAndReturns()
    {
        using var cts = new CancellationTokenSource();
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var server = new VhostUserServer(SocketPath, device);
        var events = new List<bool>();
        server.ConnectionChanged += events.Add;
        var run = server.RunAsync(cts.Token);
        using var memory = GuestMemory.CreateMemfd(16UL << 20);
        using var client = new RawClient(SocketPath);
        client.SetMemTable(memory);
        Assert.Equal(memory.RamBytes, server.GuestRamBytes);

        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(client.WaitClosed());
        Assert.False(server.IsConnected);
        Assert.Equal(0UL, server.GuestRamBytes);
        Assert.Null(device.Memory);
        Assert.Equal([true, false], events);
    }

    [Fact]
    public async Task RunAsync_Twice_Throws_AndCanRunAgainAfterStopping()
    {
        using var server = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));
        using (var cts = new CancellationTokenSource())
        {
            var run = server.RunAsync(cts.Token);
            Assert.Throws<InvalidOperationException>(() => { _ = server.RunAsync(CancellationToken.None); });
            await cts.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        using (var cts = new CancellationTokenSource())
        {
            var run = server.RunAsync(cts.Token);
            using (var client = new RawClient(SocketPath))
                client.GetFeatures();
            await cts.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Dispose_StopsARunningServer()
    {
        var server = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));
        var run = server.RunAsync(CancellationToken.None);
        using var memory = GuestMemory.CreateMemfd(16UL << 20);
        using var frontend = new VhostUserFrontend(SocketPath, memory);

        server.Dispose();

        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Throws<ObjectDisposedException>(() => { _ = server.RunAsync(CancellationToken.None); });
    }

    [Fact]
    public async Task AlreadyCancelledToken_ReturnsPromptly()
    {
        using var server = new VhostUserServer(SocketPath, new BalloonDevice(new BalloonDeviceOptions()));

        var run = server.RunAsync(new CancellationToken(canceled: true));

        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TaskStatus.RanToCompletion, run.Status);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
