using Ballast.Balloon.Device;
using Ballast.TestKit;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Deflate, VIRTIO 1.2 §5.5.6: the driver puts pages it takes back on the deflateq. The device forgets them
/// and releases nothing (the guest refaults them); deflating frames that are not ballooned is a counted error.
/// </summary>
public sealed class DeflateTests
{
    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Deflate_PfnForgetsFramesAndReleasesNothing(ReleasePolicy release)
    {
        using var rig = Pfn(release);
        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page), PfnOf(C), PfnOf(C + Page));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        var calls = rig.Counters.ReleaseCalls;

        var head = AddPfns(rig.Deflate, PfnOf(A + Page), PfnOf(C));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Deflate));
        Assert.Equal(2UL, rig.Device.BalloonedPages);
        Assert.True(rig.Device.IsBallooned(PfnOf(A)));
        Assert.False(rig.Device.IsBallooned(PfnOf(A + Page)));
        Assert.Equal(2, rig.Counters.PagesDeflated);
        Assert.Equal(calls, rig.Counters.ReleaseCalls);
        rig.AssertReleased((A, 2), (C, 2));   // still released from the inflate, nothing new
        rig.AssertNoErrors();
    }

    [Fact]
    public void Deflate_SgForgetsRangesAndReleasesNothing()
    {
        using var rig = Sg();
        rig.Inflate.AddChain(Range(B - 4 * Page, (uint)(8 * Page)), Range(Top, (uint)(4 * Page)));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        var calls = rig.Counters.ReleaseCalls;

        var head = rig.Deflate.AddChain(Range(B - 2 * Page, (uint)(4 * Page)), Range(Top, (uint)Page));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Deflate));
        Assert.Equal(7UL, rig.Device.BalloonedPages);
        Assert.False(rig.Device.IsBallooned(PfnOf(B)));
        Assert.True(rig.Device.IsBallooned(PfnOf(B + 2 * Page)));
        Assert.Equal(5, rig.Counters.PagesDeflated);
        Assert.Equal(calls, rig.Counters.ReleaseCalls);
        rig.AssertReleased((B - 4 * Page, 8), (Top, 4));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_AfterDeflateReleasesAgain()
    {
        // The guest took the frame back and may have written it: inflating it again must release it again.
        using var rig = Pfn();
        AddPfns(rig.Inflate, PfnOf(A));
        rig.Process(BalloonQueue.Inflate);
        AddPfns(rig.Deflate, PfnOf(A));
        rig.Process(BalloonQueue.Deflate);

        AddPfns(rig.Inflate, PfnOf(A));
        rig.Process(BalloonQueue.Inflate);

        Assert.Equal(2, rig.Counters.ReleaseCalls);
        Assert.Equal(2 * (long)Page, rig.Counters.BytesReleased);
        Assert.True(rig.Device.IsBallooned(PfnOf(A)));
        Assert.Equal((long)(rig.Baseline - (long)Page), rig.Memory.AllocatedBytes());
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Deflate_PfnNotBallooned_IsCountedAndSkipped(ReleasePolicy release)
    {
        using var rig = Pfn(release);
        AddPfns(rig.Inflate, PfnOf(A));
        rig.Process(BalloonQueue.Inflate);

        var head = AddPfns(rig.Deflate, PfnOf(A + Page), PfnOf(A), PfnOf(C));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Deflate));
        Assert.Equal(0UL, rig.Device.BalloonedPages);
        Assert.Equal(1, rig.Counters.PagesDeflated);
        rig.AssertReleased((A, 1));
        rig.AssertOnlyError(BalloonError.DeflateNotBallooned);
    }

    [Fact]
    public void Deflate_SgRangePartlyNotBallooned_ForgetsOnlyTheBalloonedPart()
    {
        using var rig = Sg();
        rig.Inflate.AddChain(Range(C + 2 * Page, (uint)(2 * Page)));
        rig.Process(BalloonQueue.Inflate);

        rig.Deflate.AddChain(Range(C, (uint)(8 * Page)));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Single(Used(rig.Deflate));
        Assert.Equal(0UL, rig.Device.BalloonedPages);
        Assert.Equal(2, rig.Counters.PagesDeflated);
        rig.AssertReleased((C + 2 * Page, 2));
        rig.AssertOnlyError(BalloonError.DeflateNotBallooned);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains("6 frames", StringComparison.Ordinal));
    }

    [Fact]
    public void Deflate_OfAnEmptyBalloonChangesNothing()
    {
        using var rig = Pfn();

        AddPfns(rig.Deflate, Pfns(B, 8));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal(0UL, rig.Device.BalloonedPages);
        Assert.Equal(0, rig.Counters.PagesDeflated);
        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.DeflateNotBallooned);
    }
}
