using Ballast.Balloon.Device;
using Ballast.Fuzz.Ring;
using Ballast.Fuzz.VhostUser;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Tests;

/// <summary>The seeds do what their names say: afl starts from deep paths, not from the first parse error.</summary>
public sealed class SeedDepthTests
{
    private static byte[] Seed(string target, string name) => FuzzTargets.Seeds(target).Single(s => s.Name == name).Input;

    [Fact]
    public void VhostUserHandshake_InflatesAndDeflatesThroughRealRings()
    {
        using var target = new VhostUserTarget();
        target.Run(Seed("vhost-user", "handshake-inflate-deflate"));
        var run = target.LastRun;
        Assert.Null(run.EndReason);
        Assert.Equal(8, run.Counters!.PagesInflated);
        Assert.Equal(4, run.Counters.PagesDeflated);
        Assert.Equal(4UL, run.BalloonedPages);
        Assert.True(run.Replies >= 10, $"{run.Replies} replies");
    }

    [Theory]
    [InlineData("sg-ranges", 20, 8)]
    [InlineData("two-regions-per-page", 5, 0)]
    [InlineData("reset-and-restart", 32, 0)]
    public void VhostUserSeeds_RunToTheEnd(string seed, long inflated, long deflated)
    {
        using var target = new VhostUserTarget();
        target.Run(Seed("vhost-user", seed));
        Assert.Null(target.LastRun.EndReason);
        Assert.Equal(inflated, target.LastRun.Counters!.PagesInflated);
        Assert.Equal(deflated, target.LastRun.Counters.PagesDeflated);
    }

    [Fact]
    public void VhostUserStatsSeed_ParsesStatisticsAndAnswersTheConfigChange()
    {
        using var target = new VhostUserTarget();
        target.Run(Seed("vhost-user", "stats-and-config-change"));
        Assert.Null(target.LastRun.EndReason);
        Assert.True(target.LastRun.Counters!.StatsUpdates >= 2, $"{target.LastRun.Counters.StatsUpdates} stats updates");
        Assert.Equal(0, target.LastRun.Counters.Errors(BalloonError.BadStatsBuffer));
    }

    [Fact]
    public void RingSeed_PopsEveryChain()
    {
        using var target = new RingTarget();
        target.Run(Seed("ring", "direct-chains"));
        Assert.Equal(3, target.LastPopped);
        Assert.Equal(PopResult.Empty, target.LastResult);
    }

    [Theory]
    [InlineData("pfn-coalesce", 13, 2)]
    [InlineData("pfn-per-page", 13, 2)]
    [InlineData("sg-coalesce", 14, 2)]
    [InlineData("sg-per-page", 14, 2)]
    [InlineData("indirect-pfn", 8, 2)]
    [InlineData("deferred-release", 32, 16)]
    public void BalloonSeeds_BalloonPages(string seed, long inflated, long deflated)
    {
        using var target = new Fuzz.Balloon.BalloonTarget();
        target.Run(Seed("balloon", seed));
        var counters = target.LastDevice.Counters;
        Assert.Equal(inflated, counters.PagesInflated);
        Assert.Equal(deflated, counters.PagesDeflated);
        Assert.Equal(0, counters.Errors(BalloonError.BadChain) + counters.Errors(BalloonError.QueueBroken));
    }

    [Fact]
    public void BalloonStatsSeed_UpdatesStatistics()
    {
        using var target = new Fuzz.Balloon.BalloonTarget();
        target.Run(Seed("balloon", "stats"));
        Assert.Equal(2, target.LastDevice.Counters.StatsUpdates);
        Assert.Equal(256u, target.LastDevice.NumPages);
    }
}
