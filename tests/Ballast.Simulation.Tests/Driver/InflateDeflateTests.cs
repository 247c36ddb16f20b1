using Ballast.Balloon.Device;

namespace Ballast.Simulation.Tests.Driver;

public class InflateDeflateTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(true, ReleasePolicy.Coalesce)]
    [InlineData(false, ReleasePolicy.Coalesce)]
    [InlineData(false, ReleasePolicy.PerPage)]
    public void Inflate_ReachesTargetAndReleasesHostMemory(bool sg, ReleasePolicy release)
    {
        using var h = new BalloonHarness(128 * MiB, sg, release);
        var pages = 64 * MiB / 4096;
        var before = h.Guest.HostBytes;

        var inflated = h.Driver.Inflate(pages);

        Assert.Equal(pages, inflated);
        Assert.Equal(sg, h.Driver.ScatterGather);
        Assert.Equal((uint)pages, h.Device.Actual);
        Assert.Equal(pages, h.Device.BalloonedPages);
        Assert.Equal(0, h.Device.Counters.TotalErrors);
        var after = h.Guest.HostBytes;
        Assert.Equal((long)(64 * MiB), before - after);
        foreach (var pfn in h.Driver.Pages)
            Assert.True(h.Device.IsBallooned(pfn));
        var ballooned = h.BalloonedNow();

        var deflated = h.Driver.Deflate(pages);

        Assert.Equal(pages, deflated);
        Assert.Equal(0u, h.Device.Actual);
        Assert.Equal(0UL, h.Device.BalloonedPages);
        Assert.Equal(0, h.Device.Counters.TotalErrors);
        Assert.Equal("ok", h.Guest.CheckIntegrity(ballooned).ToString());
    }
}
