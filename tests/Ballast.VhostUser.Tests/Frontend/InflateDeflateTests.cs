using Ballast.Balloon.Device;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Frontend;

/// <summary>The simulated guest's driver inflates and deflates through the real protocol.</summary>
public sealed class InflateDeflateTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(true, ReleasePolicy.Coalesce)]
    [InlineData(false, ReleasePolicy.Coalesce)]
    [InlineData(false, ReleasePolicy.PerPage)]
    public void Inflate_ReleasesHostMemory_AndDeflateGivesItBack(bool sg, ReleasePolicy release)
    {
        using var h = new GuestHarness(sg, 128 * MiB, release, clean: false);
        var pages = 48 * MiB / 4096;
        var before = h.Guest.HostBytes;

        var inflated = h.Driver.Inflate(pages);

        Assert.Equal(pages, inflated);
        Assert.Equal(sg, h.Driver.ScatterGather);
        Assert.Equal(sg, h.Device.SgNegotiated);
        Assert.Equal((uint)pages, h.Device.Actual);
        Assert.Equal(pages, h.Device.BalloonedPages);
        Assert.Equal(0, h.Device.Counters.TotalErrors);
        Assert.Equal((long)(48 * MiB), before - h.Guest.HostBytes);
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

    [Fact]
    public void GetVringBase_ReportsWhereTheDeviceStopped()
    {
        using var h = new GuestHarness(sg: false);
        h.Driver.Inflate(1024);

        var inflateBase = h.Frontend.GetVringBase(0);

        Assert.Equal((ushort)h.Driver.Counters.Buffers, inflateBase);
        Assert.Null(h.Device.GetQueue(0));
    }
}
