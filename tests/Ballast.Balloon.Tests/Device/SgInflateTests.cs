using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Inflate with Ballast's SG feature (the seed): each descriptor is one guest-physical range, 4 KiB aligned,
/// 0 &lt; len ≤ 4 GiB − 4 KiB, entirely RAM. Ranges may sit anywhere in the 64-bit space, beyond 32-bit PFNs.
/// </summary>
public sealed class SgInflateTests
{
    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Inflate_SgReleasesEveryRangeOfAChain(ReleasePolicy release)
    {
        using var rig = Sg(release);
        Assert.True(rig.Device.SgNegotiated);
        var head = rig.Inflate.AddChain(Range(A, (uint)(8 * Page)), Range(C + 16 * Page, (uint)(4 * Page)), Range(Top, (uint)TopSize));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        rig.AssertReleased((A, 8), (C + 16 * Page, 4), (Top, TopSize / Page));
        Assert.Equal(8 + 4 + TopSize / Page, rig.Device.BalloonedPages);
        Assert.True(rig.Device.IsBallooned(Top / Page));
        Assert.Equal(3, rig.Counters.Runs);
        Assert.Equal(3, rig.Counters.ReleaseCalls);
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_SgAcceptsDriverReadableRanges()
    {
        // The seed adds its ranges as device-writable in-buffers; the device takes either direction.
        using var rig = Sg();
        rig.Inflate.AddChain(new BufferSegment(B, (uint)(2 * Page), DeviceWritable: false));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertReleased((B, 2));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_SgReadsRangesThroughAnIndirectTable()
    {
        using var rig = Sg();
        var table = rig.Inflate.AllocateBuffer(3 * 16);
        var head = rig.Inflate.AddIndirect(table, Range(A, (uint)Page), Range(B + 8 * Page, (uint)(2 * Page)), Range(C, (uint)Page));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        rig.AssertReleased((A, 1), (B + 8 * Page, 2), (C, 1));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_SgWholeMemoryInOneRangePerRegion()
    {
        using var rig = Sg();
        rig.Inflate.AddChain(Range(A, (uint)(2 * RegionSize)), Range(C, (uint)RegionSize), Range(Top, (uint)TopSize));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertReleased((A, 2 * RegionSize / Page), (C, RegionSize / Page), (Top, TopSize / Page));
        Assert.Equal(3, rig.Counters.Runs);
        Assert.Equal(4, rig.Counters.ReleaseCalls);   // A+B is one run in two regions
        rig.AssertNoErrors();
    }
}
