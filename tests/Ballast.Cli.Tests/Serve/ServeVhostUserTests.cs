using Ballast.Linux;
using System.Text.Json;
using Ballast.Daemon.Api;
using Ballast.Daemon.Client;
using Ballast.Daemon.Commands;
using Ballast.Daemon;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// <c>ballast serve</c> with its real vhost-user transport, a simulated QEMU and guest connected to it, and
/// <c>ballast balloon</c> driving the balloon end to end.
/// </summary>
public class ServeVhostUserTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private const ulong GuestRam = 64UL << 20;

    [Fact]
    public async Task Guest_ConnectsInflatesToTheTargetReportsStatisticsAndLeaves()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = socket + ".api";
        using var stop = new CancellationTokenSource();
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        var serve = new ServeCommand(VhostUserBackend.Factory, _ => NullLoggerFactory.Instance);
        var run = Task.Run(() => BallastCli.RunAsync(["serve", "--socket", socket, "--stats-interval", "1"], stdout, stderr, serve, stop.Token));
        try
        {
            Assert.True(await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-global", StringComparison.Ordinal) || run.IsCompleted, s_timeout),
                "serve did not start");
            Assert.False(run.IsCompleted, $"serve exited: {stderr}");
            Assert.True(UnixSocketFile.IsSocket(socket), "the vhost-user socket is not there");
            using var client = new BalloonApiClient(api);

            using (var qemu = new SimulatedQemu(socket, GuestRam))
            {
                Assert.True(await WaitForAsync(client, s => s.Connected && s.GuestBytes > 0), "the guest did not show up");
                var state = await client.GetBalloonAsync();
                // The memory table leaves out the hole below 1 MiB that the simulated guest has, as QEMU's does.
                Assert.InRange(state.GuestBytes, GuestRam - (1UL << 20), GuestRam);
                Assert.Equal(["stats", "deflate-on-oom"], state.Features);

                var set = await BallastCli.RunAsync("balloon", "set", "--api", api, "--target", "16M", "--wait", "--timeout", "30");
                Assert.True(set.ExitCode == ExitCodes.Success, set.StdErr);
                state = await client.GetBalloonAsync();
                Assert.Equal(16UL << 20, state.ActualBytes);
                Assert.Equal(16UL << 20, state.BalloonedBytes);
                Assert.Equal(4096UL, qemu.Driver.NumPages);

                var metrics = MetricsExposition.Parse(await client.GetMetricsAsync());
                Assert.Equal(4096, metrics.Value("ballast_balloon_pages_inflated_total"));
                Assert.Equal(16L << 20, metrics.Value("ballast_balloon_released_bytes_total"));
                Assert.Equal(1, metrics.Value("ballast_balloon_connected"));

                // The driver's first statistics buffer arrives at probe; the poller asks for more every second.
                StatisticsReport? report = null;
                Assert.True(await UnixHttp.WaitUntilAsync(() => (report = TryGetStatistics(client)) is { TotalMemory: not null }, s_timeout));
                Assert.Equal(1, report!.PollingIntervalS);
                var stats = await BallastCli.RunAsync("balloon", "stats", "--api", api, "--json");
                Assert.Equal(ExitCodes.Success, stats.ExitCode);
                using (var json = JsonDocument.Parse(stats.StdOut))
                    Assert.True(json.RootElement.GetProperty("free_memory").GetInt64() > 0);

                var deflate = await BallastCli.RunAsync("balloon", "set", "--api", api, "--target", "0", "--wait", "--timeout", "30");
                Assert.True(deflate.ExitCode == ExitCodes.Success, deflate.StdErr);
                Assert.Equal(0UL, qemu.Driver.NumPages);
            }

            Assert.True(await WaitForAsync(client, s => !s.Connected), "the server still sees the guest");
            var gone = await BallastCli.RunAsync("balloon", "set", "--api", api, "--target", "4M");
            Assert.Equal(ExitCodes.Failure, gone.ExitCode);
            Assert.Contains("409", gone.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await run.WaitAsync(s_timeout));
        }
        Assert.False(Path.Exists(socket));
        Assert.False(Path.Exists(api));
    }

    /// <summary>
    /// <c>serve --target</c> over the real transport: once the simulated guest's driver has started its rings the
    /// daemon sets the target and tells QEMU, and the driver inflates to it — followed with the API's long-poll.
    /// </summary>
    [Fact]
    public async Task Target_IsSetWhenTheGuestsDriverStarts_AndTheGuestInflatesToIt()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        using var stop = new CancellationTokenSource();
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        var serve = new ServeCommand(VhostUserBackend.Factory, _ => NullLoggerFactory.Instance);
        var run = Task.Run(() => BallastCli.RunAsync(["serve", "--socket", socket, "--target", "8M"], stdout, stderr, serve, stop.Token));
        try
        {
            Assert.True(await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-global", StringComparison.Ordinal) || run.IsCompleted, s_timeout),
                "serve did not start");
            Assert.False(run.IsCompleted, $"serve exited: {stderr}");
            using var client = new BalloonApiClient(socket + ".api");
            var (state, etag) = await client.GetBalloonVersionAsync();
            Assert.Equal(0UL, state!.TargetBytes);

            using var qemu = new SimulatedQemu(socket, GuestRam);
            var deadline = DateTime.UtcNow + s_timeout;
            while (state.ActualBytes != 8UL << 20 && deadline - DateTime.UtcNow is { Ticks: > 0 } remaining)
            {
                var change = await client.WaitForChangeAsync(etag!, remaining);
                (state, etag) = (change.State ?? state, change.ETag);
            }

            Assert.Equal(8UL << 20, state.TargetBytes);
            Assert.Equal(8UL << 20, state.ActualBytes);
            Assert.Equal(2048u, qemu.Driver.NumPages);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await run.WaitAsync(s_timeout));
        }
    }

    /// <summary>
    /// <c>serve --features …,must-tell-host --defer-release</c> over the real transport: the guest's inflate completes
    /// while the release is held back (the device's test hook), <c>balloon set --wait</c> keeps waiting until the host
    /// has released it, and then the memory behind the guest is back; deflate still works.
    /// </summary>
    [Fact]
    public async Task DeferRelease_SetWait_ReturnsOnlyOnceTheHostReleased()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = socket + ".api";
        using var stop = new CancellationTokenSource();
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        var gate = new ManualResetEventSlim();
        var serve = new ServeCommand((path, device, loggers, options) =>
        {
            device.BeforeDeferredRelease = () => gate.Wait(s_timeout);
            return VhostUserBackend.Factory(path, device, loggers, options);
        }, _ => NullLoggerFactory.Instance);
        var run = Task.Run(() => BallastCli.RunAsync(
            ["serve", "--socket", socket, "--features", "stats,deflate-on-oom,must-tell-host", "--defer-release"], stdout, stderr, serve, stop.Token));
        try
        {
            Assert.True(await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-global", StringComparison.Ordinal) || run.IsCompleted, s_timeout),
                "serve did not start");
            Assert.False(run.IsCompleted, $"serve exited: {stderr}");
            using var client = new BalloonApiClient(api);
            using var qemu = new SimulatedQemu(socket, GuestRam, clean: false);
            Assert.True(await WaitForAsync(client, s => s.Connected && s.Features.Contains("must-tell-host")), "the guest did not negotiate must-tell-host");
            var hostBefore = qemu.Guest.Memory.AllocatedBytes();

            var set = BallastCli.RunAsync("balloon", "set", "--api", api, "--target", "16M", "--wait", "--timeout", "30");
            Assert.True(await WaitForAsync(client, s => s.ActualBytes == 16UL << 20), "the guest did not reach 16 MiB");
            var held = await client.GetBalloonAsync();

            Assert.Equal(16UL << 20, held.ReleasePendingBytes);
            Assert.Equal(hostBefore, qemu.Guest.Memory.AllocatedBytes());
            Assert.False(set.IsCompleted, "balloon set --wait returned while the host release was still queued");

            gate.Set();
            var result = await set.WaitAsync(s_timeout);
            Assert.True(result.ExitCode == ExitCodes.Success, result.StdErr);
            Assert.Equal(0UL, (await client.GetBalloonAsync()).ReleasePendingBytes);
            Assert.Equal(16L << 20, hostBefore - qemu.Guest.Memory.AllocatedBytes());

            var deflate = await BallastCli.RunAsync("balloon", "set", "--api", api, "--target", "0", "--wait", "--timeout", "30");
            Assert.True(deflate.ExitCode == ExitCodes.Success, deflate.StdErr);
            Assert.Equal(0UL, (await client.GetBalloonAsync()).BalloonedBytes);
        }
        finally
        {
            gate.Set();
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await run.WaitAsync(s_timeout));
        }
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--allow-unsealed-memory" }, true)]
    public void AllowUnsealedMemory_ReachesTheVhostUserServer(string[] flag, bool allowed)
    {
        using var directory = new TempDirectory();
        var serve = new ServeCommand();
        var options = serve.ReadOptions(serve.Parse(["--socket", directory.File("b.sock"), .. flag]));
        var device = new Ballast.Balloon.Device.BalloonDevice(options.Device);

        using var backend = (VhostUserBackend)VhostUserBackend.Factory(directory.File("b.sock"), device, NullLoggerFactory.Instance, options);

        Assert.Equal(allowed, options.AllowUnsealedMemory);
        Assert.Equal(allowed, backend.AllowUnsealedMemory);
    }

    private static async Task<bool> WaitForAsync(BalloonApiClient client, Func<BalloonState, bool> condition)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(await client.GetBalloonAsync()))
                return true;
            await Task.Delay(20);
        }
        return false;
    }

    private static StatisticsReport? TryGetStatistics(BalloonApiClient client)
    {
        try
        {
            return client.GetStatisticsAsync().GetAwaiter().GetResult();
        }
        catch (BalloonApiException ex) when (ex.StatusCode == 404)
        {
            return null;
        }
    }
}
