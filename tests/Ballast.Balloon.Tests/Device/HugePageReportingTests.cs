using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using static Ballast.Balloon.Tests.Device.HugePageRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Free page reporting on huge-page guest RAM: only the host pages lying wholly inside a reported block are released
/// (never a partial hugetlb page; on THP per the release granularity), and a report never changes what the
/// ballooned-frame bitmap says about host pages.
/// </summary>
public sealed class HugePageReportingTests
{
    public static TheoryData<MemoryBacking> Backings => [MemoryBacking.Pages4K, MemoryBacking.Thp, MemoryBacking.Hugetlb];

    public static TheoryData<MemoryBacking> HugeBackings => [MemoryBacking.Thp, MemoryBacking.Hugetlb];

    private static readonly BalloonDeviceOptions s_reporting = new() { PageReporting = true };

    [Theory]
    [MemberData(nameof(Backings))]
    public void ABlockStraddlingHostPages_ReleasesOnlyTheWholeOnesInside(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, s_reporting);

        rig.Report(D + Huge / 2, 2 * Huge);            // the top half of H0, all of H1, the bottom half of H2

        if (backing == MemoryBacking.Pages4K)
        {
            Assert.Equal((long)(2 * Huge), rig.ReleasedBytes);
            rig.AssertOnlyZero((D + Huge / 2, 2 * FramesPerHuge));
        }
        else
        {
            Assert.Equal((long)Huge, rig.ReleasedBytes);
            Assert.Equal((long)Huge, rig.Device.Counters.ReportReleasedBytes);
            rig.AssertOnlyZero((D + Huge, FramesPerHuge));
        }
        Assert.Equal(1, rig.Device.Counters.ReleaseCalls);
        Assert.Equal((long)(2 * Huge), rig.Device.Counters.ReportedBytes);
        Assert.Equal(0UL, rig.Device.BalloonedPages);
        Assert.Equal(0, rig.Device.Counters.TotalErrors);
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void ABlockSmallerThanAHostPage_ReleasesNothing(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, s_reporting);

        rig.Report(D, Huge / 2);

        Assert.Equal(0, rig.ReleasedBytes);
        Assert.Equal(0, rig.Device.Counters.ReleaseCalls);
        rig.AssertOnlyZero();
    }

    [Fact]
    public void OnThpWith4kGranularity_TheWholeBlockIsPunched()
    {
        using var rig = new HugePageRig(MemoryBacking.Thp, s_reporting with { Granularity = ReleaseGranularity.Page4K });

        rig.Report(D + Huge / 2, Huge);

        Assert.Equal((long)Huge, rig.Device.Counters.ReportReleasedBytes);
        rig.AssertOnlyZero((D + Huge / 2, FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void HostPageHalfBalloonedHalfReported_IsReleasedOnlyWhenTheBalloonCompletesIt(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, s_reporting);
        var page = D + 2 * Huge;
        rig.InflatePfns(Frames(page, FramesPerHuge / 2));
        rig.Report(page + Huge / 2, Huge / 2);            // the other half, lent: neither ballooned nor a whole page

        Assert.Equal(0, rig.ReleasedBytes);
        Assert.Equal((long)(Huge / 2), rig.Device.HeldInPartialHostPagesBytes);
        Assert.Equal(FramesPerHuge / 2, rig.Device.BalloonedPages);

        rig.InflatePfns(Frames(page + Huge / 2, FramesPerHuge / 2));

        Assert.Equal((long)Huge, rig.ReleasedBytes);
        Assert.Equal(0, rig.Device.HeldInPartialHostPagesBytes);
        rig.AssertOnlyZero((page, FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void HostPagesStraddlingARegionEdge_AreNeverReleasedByAReport(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, s_reporting);

        rig.Report(E, ESize);                              // one whole host page and two halves of straddling ones

        Assert.Equal((long)Huge, rig.ReleasedBytes);
        rig.AssertOnlyZero((EWhole, FramesPerHuge));
    }
}
