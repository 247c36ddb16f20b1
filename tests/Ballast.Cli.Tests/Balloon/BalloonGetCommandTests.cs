using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests.Balloon;

public class BalloonGetCommandTests
{
    [Fact]
    public async Task Get_PrintsSizesForPeople()
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(1536 * 256);
        rig.SetActualPages(1024 * 256);

        var result = await BallastCli.RunAsync("balloon", "get", "--api", rig.SocketPath);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("", result.StdErr);
        Assert.Equal(
            """
            target:     1536 MiB
            actual:     1 GiB
            ballooned:  0 B
            guest RAM:  1 GiB
            features:   none (negotiated)
            connected:  yes

            """.ReplaceLineEndings("\n"),
            result.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Get_WithoutGuest_SaysOfferedAndNotConnected()
    {
        await using var rig = await ApiRig.StartAsync(new BalloonDeviceOptions { StatsQueue = false }, new FakeBalloonBackend { IsConnected = false });

        var result = await BallastCli.RunAsync("balloon", "get", "--api", rig.SocketPath);

        Assert.Contains("features:   deflate-on-oom (offered)", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("connected:  no", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("guest RAM:  -", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Json_IsOneObjectAsTheApiReturnsIt()
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(256);

        var result = await BallastCli.RunAsync("balloon", "get", "--api", rig.SocketPath, "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Single(result.StdOut.TrimEnd('\n').Split('\n'));
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(1L << 20, json.RootElement.GetProperty("target_bytes").GetInt64());
        Assert.Equal(1L << 30, json.RootElement.GetProperty("guest_bytes").GetInt64());
        Assert.True(json.RootElement.GetProperty("connected").GetBoolean());
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("features").ValueKind);
    }

    [Fact]
    public async Task NoDaemon_ExitsWithFailureSayingSo()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("balloon", "get", "--api", directory.File("none.sock"));

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains($"ballast balloon get: no Ballast API at {directory.File("none.sock")}: no such socket", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task MissingApi_IsUsageError()
    {
        var result = await BallastCli.RunAsync("balloon", "get");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--api", result.StdErr, StringComparison.Ordinal);
    }
}
