using Ballast.Balloon.Device;
using Ballast.Daemon.Client;
using Ballast.Daemon;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests.Serve;

/// <summary><c>ballast serve</c> run in-process with a fake transport until its token is cancelled.</summary>
public class ServeCommandTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(null, 3, new[] { "stats", "deflate-on-oom" })]
    [InlineData("deflate-on-oom", 2, new[] { "deflate-on-oom" })]
    [InlineData("must-tell-host,sg", 2, new[] { "must-tell-host", "sg" })]
    [InlineData("stats,sg", 3, new[] { "stats", "sg" })]
    [InlineData("none", 2, new string[0])]
    public async Task PrintsQemuArgumentsForItsFeatures_AndOffersThem(string? features, int queues, string[] offered)
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var args = new List<string> { "serve", "--socket", socket };
        if (features is not null)
            args.AddRange(["--features", features]);

        await using var serve = await RunningServe.StartAsync(args, new FakeBalloonBackend { IsConnected = false });
        var state = await serve.Client.GetBalloonAsync();
        var (exitCode, stdout, _) = await serve.StopAsync();

        Assert.Equal(offered, state.Features);
        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal(QemuArguments.Lines(socket, queues), stdout.TrimEnd('\n').Split('\n'));
        Assert.Contains($"num_vqs={queues},", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("23")]
    public async Task SgBitAtTheEdges_IsAccepted(string bit)
    {
        using var directory = new TempDirectory();

        await using var serve = await RunningServe.StartAsync(["serve", "--socket", directory.File("b.sock"), "--features", "sg", "--sg-bit", bit],
            new FakeBalloonBackend());
        var (exitCode, _, _) = await serve.StopAsync();

        Assert.Equal(ExitCodes.Success, exitCode);
    }

    [Fact]
    public async Task DeferRelease_WithMustTellHost_BuildsADeferringDevice_ApiReportsNothingPending()
    {
        using var directory = new TempDirectory();
        var backend = new FakeBalloonBackend();

        await using var serve = await RunningServe.StartAsync(
            ["serve", "--socket", directory.File("b.sock"), "--features", "stats,must-tell-host", "--defer-release"], backend);
        var state = await serve.Client.GetBalloonAsync();
        var (exitCode, _, _) = await serve.StopAsync();

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.True(backend.Device!.Options.DeferRelease);
        Assert.True(backend.Device.Options.MustTellHost);
        Assert.Equal(0UL, state.ReleasePendingBytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AllowUnsealedMemory_IsOffUnlessAsked_AndReachesTheTransport(bool allow)
    {
        using var directory = new TempDirectory();
        var backend = new FakeBalloonBackend();
        var args = new List<string> { "serve", "--socket", directory.File("b.sock") };
        if (allow)
            args.Add("--allow-unsealed-memory");

        await using var serve = await RunningServe.StartAsync(args, backend);
        var (exitCode, _, _) = await serve.StopAsync();

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal(allow, backend.Options!.AllowUnsealedMemory);
    }

    [Fact]
    public async Task DefaultApiSocket_IsSocketDotApi_Mode0600_RemovedOnStop()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = socket + ".api";

        await using var serve = await RunningServe.StartAsync(["serve", "--socket", socket], new FakeBalloonBackend());
        Assert.Equal(UnixMode.OwnerReadWrite, UnixMode.Of(api));
        var (exitCode, _, stderr) = await serve.StopAsync();

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("", stderr);
        Assert.False(Path.Exists(api));
        Assert.False(Path.Exists(socket));
    }

    [Fact]
    public async Task StatsInterval_IsThePollersAndTheApiChangesIt()
    {
        using var directory = new TempDirectory();
        var backend = new FakeBalloonBackend();

        await using var serve = await RunningServe.StartAsync(["serve", "--socket", directory.File("b.sock"), "--stats-interval", "7"], backend);
        using var guest = new StatsQueueRig(backend.Device!);
        guest.Send((StatTag.FreeMemory, 4096));
        Assert.Equal(7, (await serve.Client.GetStatisticsAsync()).PollingIntervalS);
        await serve.Client.SetPollingIntervalAsync(3);
        var report = await serve.Client.GetStatisticsAsync();
        var (exitCode, _, _) = await serve.StopAsync();

        Assert.Equal(3, report.PollingIntervalS);
        Assert.Equal(4096UL, report.FreeMemory);
        Assert.Equal(ExitCodes.Success, exitCode);
    }

    [Fact]
    public async Task ApiSocketTaken_ExitsWithFailure()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        await using var first = await RunningServe.StartAsync(["serve", "--socket", socket], new FakeBalloonBackend());

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("c.sock"), "--api", first.ApiPath);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("another process is listening", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task Transport_StartsBeforeTheApi()
    {
        // QEMU may connect once the vhost-user socket listens: the transport binds it before the API (whose start,
        // Kestrel's, is most of the daemon's start-up) is started.
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        bool? apiListenedFirst = null;
        var backend = new FakeBalloonBackend { OnRun = () => apiListenedFirst = Path.Exists(socket + ".api") };

        await using var serve = await RunningServe.StartAsync(["serve", "--socket", socket], backend);
        var state = await serve.Client.GetBalloonAsync();

        Assert.False(apiListenedFirst);
        Assert.True(state.Connected);
    }

    [Fact]
    public async Task ApiFails_StopsTheTransportStartedBeforeIt()
    {
        using var directory = new TempDirectory();
        await using var first = await RunningServe.StartAsync(["serve", "--socket", directory.File("b.sock")], new FakeBalloonBackend());
        var backend = new FakeBalloonBackend();
        using var stdout = new LockedStringWriter();
        using var stderr = new LockedStringWriter();
        using var timeout = new CancellationTokenSource(s_timeout);

        var exitCode = await BallastCli.RunAsync(["serve", "--socket", directory.File("c.sock"), "--api", first.ApiPath], stdout, stderr,
            BallastCli.Serve(backend), timeout.Token);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("another process is listening", stderr.ToString(), StringComparison.Ordinal);
        Assert.True(backend.Running.IsCompleted, "the transport was not started before the API");
        // The token's continuation may run a moment after serve returned; a transport left running never gets there.
        await backend.Stopped.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task TransportFails_ExitsWithFailure_AndRemovesTheApiSocket()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var backend = new FakeBalloonBackend { Failure = new IOException("cannot bind b.sock") };
        using var stdout = new LockedStringWriter();
        using var stderr = new LockedStringWriter();
        using var timeout = new CancellationTokenSource(s_timeout);

        var exitCode = await BallastCli.RunAsync(["serve", "--socket", socket], stdout, stderr, BallastCli.Serve(backend), timeout.Token);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("ballast serve: the vhost-user transport failed: cannot bind b.sock", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
        Assert.False(Path.Exists(socket + ".api"));
    }

    [Fact]
    public async Task Target_IsSetOnceTheGuestsDriverIsReady()
    {
        using var directory = new TempDirectory();
        var backend = new FakeBalloonBackend();
        await using var serve = await RunningServe.StartAsync(["serve", "--socket", directory.File("b.sock"), "--target", "64M"], backend);
        var before = await serve.Client.GetBalloonAsync();
        var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Device!.ConfigChanged += () => told.TrySetResult();

        using var ring = new RingBuilder();
        backend.Device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());
        await told.Task.WaitAsync(s_timeout);
        var after = await serve.Client.GetBalloonAsync();

        Assert.Equal(0UL, before.TargetBytes);
        Assert.Equal(64UL << 20, after.TargetBytes);
    }

    [Theory]
    [InlineData("1000", "--target: the target must be a multiple of 4096")]
    [InlineData("1.5G", "--target")]
    public async Task Target_Bad_IsUsageError(string target, string message)
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), "--target", target);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
    }

    /// <summary>A serve command running in-process on a background task.</summary>
    private sealed class RunningServe : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly LockedStringWriter _stdout = new();
        private readonly LockedStringWriter _stderr = new();
        private Task<int> _run = Task.FromResult(0);

        public string ApiPath { get; private set; } = "";

        public BalloonApiClient Client { get; private set; } = null!;

        public static async Task<RunningServe> StartAsync(IReadOnlyList<string> args, FakeBalloonBackend backend)
        {
            var serve = new RunningServe();
            var socket = args[args.ToList().IndexOf("--socket") + 1];
            var apiIndex = args.ToList().IndexOf("--api");
            serve.ApiPath = apiIndex >= 0 ? args[apiIndex + 1] : socket + ".api";
            serve._run = Task.Run(() => BallastCli.RunAsync(args, serve._stdout, serve._stderr, BallastCli.Serve(backend), serve._stop.Token));
            // The QEMU arguments are printed once the API listens with mode 0600.
            var ready = await UnixHttp.WaitUntilAsync(() => serve._stdout.ToString().Contains("-global", StringComparison.Ordinal) || serve._run.IsCompleted, s_timeout);
            Assert.True(ready, "serve did not start");
            Assert.False(serve._run.IsCompleted, $"serve exited early: {serve._stderr}");
            await backend.Running.WaitAsync(s_timeout);
            serve.Client = new BalloonApiClient(serve.ApiPath);
            return serve;
        }

        public async Task<(int ExitCode, string StdOut, string StdErr)> StopAsync()
        {
            await _stop.CancelAsync();
            var exitCode = await _run.WaitAsync(s_timeout);
            return (exitCode, _stdout.ToString(), _stderr.ToString());
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(s_timeout);
            Client?.Dispose();
            _stop.Dispose();
            _stdout.Dispose();
            _stderr.Dispose();
        }
    }
}
