using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests.Balloon;

public class BalloonSetCommandTests
{
    [Fact]
    public async Task Set_SetsTheTarget()
    {
        await using var rig = await ApiRig.StartAsync();

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "768M");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("target set to 768 MiB\n", result.StdOut.ReplaceLineEndings("\n"));
        Assert.Equal(768u * 256, rig.Device.NumPages);
    }

    [Fact]
    public async Task Set_Zero_DeflatesFully()
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(100);

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "0");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Set_Json_PrintsTheBalloonAfterwards()
    {
        await using var rig = await ApiRig.StartAsync();

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "1M", "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(1L << 20, json.RootElement.GetProperty("target_bytes").GetInt64());
    }

    [Theory]
    [InlineData("1000", "target_bytes must be a multiple of 4096")]
    [InlineData("2G", "is more than the guest's RAM")]
    public async Task Set_RefusedByTheDaemon_PrintsItsMessage(string target, string message)
    {
        await using var rig = await ApiRig.StartAsync();

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", target);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Contains("(400 Bad Request)", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Set_WithoutGuest_PrintsThe409Message()
    {
        await using var rig = await ApiRig.StartAsync(backend: new FakeBalloonBackend { IsConnected = false });

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "4K");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("(409 Conflict): no guest is connected", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--target", "1.5G" }, "1536M rather than 1.5G")]
    [InlineData(new[] { "--target", "-4K" }, "")]
    [InlineData(new[] { "--target", "4K", "--timeout", "5" }, "--timeout only applies with --wait")]
    [InlineData(new[] { "--target", "4K", "--wait", "--timeout", "0" }, "--timeout must be a positive number")]
    [InlineData(new string[0], "--target")]
    public async Task Set_BadCommandLine_IsUsageError(string[] options, string message)
    {
        await using var rig = await ApiRig.StartAsync();

        var result = await BallastCli.RunAsync(["balloon", "set", "--api", rig.SocketPath, .. options]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task SetWait_ReturnsOnceTheGuestReachesTheTarget()
    {
        await using var rig = await ApiRig.StartAsync();
        using var guest = new SteppingGuest(rig.Device, pagesPerStep: 4096);

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "64M", "--wait", "--timeout", "30");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^target 64 MiB reached in \d+\.\d s\n$", result.StdOut.ReplaceLineEndings("\n"));
        Assert.Equal(64u * 256, rig.Device.Actual);
        Assert.True(guest.Steps >= 2, "the guest moved in several steps");
    }

    [Fact]
    public async Task SetWait_Json_PrintsTheFinalBalloon()
    {
        await using var rig = await ApiRig.StartAsync();
        using var guest = new SteppingGuest(rig.Device, pagesPerStep: 1024);

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "8M", "--wait", "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(8L << 20, json.RootElement.GetProperty("actual_bytes").GetInt64());
        Assert.Equal(8L << 20, json.RootElement.GetProperty("target_bytes").GetInt64());
    }

    [Fact]
    public async Task SetWait_GuestThatStalls_TimesOutWithTheLastActual()
    {
        await using var rig = await ApiRig.StartAsync();
        // The guest gets to 12 MiB of 64 MiB and stops.
        using var guest = new SteppingGuest(rig.Device, pagesPerStep: 1024, stopAtPages: 3 * 1024);

        var result = await BallastCli.RunAsync("balloon", "set", "--api", rig.SocketPath, "--target", "64M", "--wait", "--timeout", "1");

        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
        Assert.Contains("timed out after 1 s: actual 12 MiB, target 64 MiB", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    /// <summary>
    /// A stand-in guest driver: each time the target changes it moves <c>actual</c> towards it in steps every
    /// 20 ms, optionally stalling at <c>stopAtPages</c>.
    /// </summary>
    private sealed class SteppingGuest : IDisposable
    {
        private readonly BalloonDevice _device;
        private readonly uint _pagesPerStep;
        private readonly uint _stopAtPages;
        private readonly CancellationTokenSource _stop = new();
        private int _steps;

        public SteppingGuest(BalloonDevice device, uint pagesPerStep, uint stopAtPages = uint.MaxValue)
        {
            _device = device;
            _pagesPerStep = pagesPerStep;
            _stopAtPages = stopAtPages;
            device.ConfigChanged += OnConfigChanged;
        }

        public int Steps => Volatile.Read(ref _steps);

        private void OnConfigChanged() => _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested && _device.Actual != _device.NumPages && _device.Actual < _stopAtPages)
            {
                await Task.Delay(20);
                var actual = _device.Actual;
                var target = _device.NumPages;
                var next = actual < target ? Math.Min(target, actual + _pagesPerStep) : Math.Max(target, actual - _pagesPerStep);
                ApiRig.SetActualPages(_device, Math.Min(next, _stopAtPages));
                Interlocked.Increment(ref _steps);
            }
        });

        public void Dispose()
        {
            _device.ConfigChanged -= OnConfigChanged;
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
