using System.Text.Json.Nodes;
using Ballast.GuestBench;

namespace Ballast.Cli.Tests;

/// <summary>guest-bench's answer times: the device's record of the guest's answer, never later than the poll.</summary>
public sealed class AnswerTimeTests
{
    [Fact]
    public void Milliseconds_AnswerAfterRequest_IsTheDifference()
    {
        Assert.Equal(12.345, AnswerTime.Milliseconds(1_000_000, 1_012_345, polledMs: 30), precision: 9);
    }

    [Theory]
    [InlineData(0L)]          // no write recorded
    [InlineData(999_000L)]    // an older write (the previous request's)
    [InlineData(1_000_000L)]  // not after the request
    [InlineData(1_050_000L)]  // later than the poll that saw it: clock trouble
    public void Milliseconds_WithoutAUsableRecord_IsThePolledTime(long answerUnixUs)
    {
        Assert.Equal(30, AnswerTime.Milliseconds(1_000_000, answerUnixUs, polledMs: 30));
    }

    [Fact]
    public void LastBalloonChange_TakesTheLatestEventWithTheTarget()
    {
        JsonObject Change(long actual, long seconds, long micro) => new()
        {
            ["event"] = "BALLOON_CHANGE",
            ["data"] = new JsonObject { ["actual"] = actual },
            ["timestamp"] = new JsonObject { ["seconds"] = seconds, ["microseconds"] = micro },
        };
        var events = new List<JsonObject>
        {
            Change(1536L << 20, 100, 5),
            Change(512L << 20, 101, 250_000),
            Change(512L << 20, 101, 750_000),
            new() { ["event"] = "RESET", ["timestamp"] = new JsonObject { ["seconds"] = 102, ["microseconds"] = 0 } },
            Change(1024L << 20, 103, 0),
        };

        Assert.Equal(101_750_000, AnswerTime.LastBalloonChange(events, 512L << 20));
        Assert.Equal(0, AnswerTime.LastBalloonChange(events, 2048L << 20));
    }
}
