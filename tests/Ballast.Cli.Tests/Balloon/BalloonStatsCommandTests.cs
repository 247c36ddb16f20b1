using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Ballast.Daemon.Output;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests.Balloon;

public class BalloonStatsCommandTests
{
    [Fact]
    public async Task Stats_BeforeAny_FailsWithTheDaemonsMessage()
    {
        await using var rig = await ApiRig.StartAsync();

        var result = await BallastCli.RunAsync("balloon", "stats", "--api", rig.SocketPath);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("(404 Not Found): no statistics yet", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_PrintsEachByNameWithSizesAndDashes()
    {
        await using var rig = await ApiRig.StartAsync(pollingSeconds: 10);
        using var guest = new StatsQueueRig(rig.Device);
        guest.Send((StatTag.FreeMemory, 512UL << 20), (StatTag.MajorFaults, 42));

        var result = await BallastCli.RunAsync("balloon", "stats", "--api", rig.SocketPath);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var lines = result.StdOut.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(2 + BalloonStatistics.TagCount, lines.Length);
        Assert.Contains("free_memory:         512 MiB", lines);
        Assert.Contains("major_faults:        42", lines);
        Assert.Contains("swap_in:             -", lines);
        Assert.Contains("polling_interval_s:  10", lines);
        Assert.StartsWith("updated_at:", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_Json_ParsesWithNulls()
    {
        await using var rig = await ApiRig.StartAsync();
        using var guest = new StatsQueueRig(rig.Device);
        guest.Send((StatTag.AvailableMemory, 4096));

        var result = await BallastCli.RunAsync("balloon", "stats", "--api", rig.SocketPath, "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(4096, json.RootElement.GetProperty("available_memory").GetInt64());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("oom_kills").ValueKind);
        Assert.Equal(0, json.RootElement.GetProperty("polling_interval_s").GetInt32());
    }

    [Fact]
    public void TextWriter_ShowsAgeAndOff()
    {
        var report = new StatisticsReport { UpdatedAt = new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero), SwapOut = 8192 };
        using var writer = new StringWriter();

        BalloonTextWriter.WriteStatistics(report, report.UpdatedAt.AddSeconds(3), writer);

        var text = writer.ToString();
        Assert.Contains("updated_at:          2025-05-01T12:00:00Z (3 s ago)", text, StringComparison.Ordinal);
        Assert.Contains("polling_interval_s:  0 (off)", text, StringComparison.Ordinal);
        Assert.Contains("swap_out:            8 KiB", text, StringComparison.Ordinal);
    }
}
