using Ballast.Balloon.Device;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Inflating frames that are already ballooned: the guest is confused or hostile; nothing is released twice
/// (a second release would be harmless for the host but hides a guest bug), only new frames are, and
/// <see cref="BalloonError.DoubleInflate"/> is counted and logged.
/// </summary>
public sealed class DoubleInflateTests
{
    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Inflate_PfnAlreadyBallooned_IsNotReleasedAgain(ReleasePolicy release)
    {
        using var rig = Pfn(release);
        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page));
        rig.Process(BalloonQueue.Inflate);
        var calls = rig.Counters.ReleaseCalls;

        AddPfns(rig.Inflate, PfnOf(A + Page), PfnOf(A + 2 * Page));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(calls + 1, rig.Counters.ReleaseCalls);
        Assert.Equal(3, rig.Counters.PagesInflated);
        Assert.Equal(3UL, rig.Device.BalloonedPages);
        rig.AssertReleased((A, 3));
        rig.AssertOnlyError(BalloonError.DoubleInflate);
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce, 1)]
    [InlineData(ReleasePolicy.PerPage, 2)]
    public void Inflate_PfnTwiceInOneDrain_IsReleasedOnce(ReleasePolicy release, long calls)
    {
        using var rig = Pfn(release);
        AddPfns(rig.Inflate, PfnOf(C), PfnOf(C), PfnOf(C + Page));
        AddPfns(rig.Inflate, PfnOf(C + Page));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(calls, rig.Counters.ReleaseCalls);
        rig.AssertReleased((C, 2));
        rig.AssertOnlyError(BalloonError.DoubleInflate, 2);
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Inflate_SgSameRangeTwice_IsReleasedOnce(ReleasePolicy release)
    {
        using var rig = Sg(release);
        rig.Inflate.AddChain(Range(B, (uint)(4 * Page)));
        rig.Process(BalloonQueue.Inflate);

        rig.Inflate.AddChain(Range(B, (uint)(4 * Page)));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(1, rig.Counters.ReleaseCalls);
        rig.AssertReleased((B, 4));
        rig.AssertOnlyError(BalloonError.DoubleInflate);
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Inflate_SgPartlyOverlappingRange_ReleasesOnlyTheNewPart(ReleasePolicy release)
    {
        using var rig = Sg(release);
        rig.Inflate.AddChain(Range(A + 4 * Page, (uint)(4 * Page)));
        rig.Process(BalloonQueue.Inflate);
        var bytes = rig.Counters.BytesReleased;

        rig.Inflate.AddChain(Range(A, (uint)(12 * Page)));   // 4 new, 4 old, 4 new
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(bytes + 8 * (long)Page, rig.Counters.BytesReleased);
        Assert.Equal(3, rig.Counters.ReleaseCalls);
        Assert.Equal(12UL, rig.Device.BalloonedPages);
        rig.AssertReleased((A, 12));
        rig.AssertOnlyError(BalloonError.DoubleInflate);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains("4 frames", StringComparison.Ordinal));
    }

    [Fact]
    public void Inflate_SgOverlapWithinOneChain_ReleasesOnlyTheNewPart()
    {
        using var rig = Sg();
        rig.Inflate.AddChain(Range(C, (uint)(4 * Page)), Range(C + 2 * Page, (uint)(4 * Page)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(6, rig.Counters.PagesInflated);
        Assert.Equal(1, rig.Counters.ReleaseCalls);
        rig.AssertReleased((C, 6));
        rig.AssertOnlyError(BalloonError.DoubleInflate);
    }
}
