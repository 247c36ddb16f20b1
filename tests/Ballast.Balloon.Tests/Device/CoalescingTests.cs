using Ballast.Balloon.Device;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// <see cref="ReleasePolicy.Coalesce"/> merges every PFN drained in one wake-up (across buffers) into maximal
/// runs: one translation and one release call per run and region. <see cref="ReleasePolicy.PerPage"/> makes one
/// release call per PFN, as QEMU does. <see cref="BalloonCounters.Runs"/> and <see cref="BalloonCounters.ReleaseCalls"/> prove it.
/// </summary>
public sealed class CoalescingTests
{
    // Three buffers, PFNs out of order: together they are A[0..6) and C[0..2), two runs.
    private static void AddScatteredBuffers(DeviceRig rig)
    {
        AddPfns(rig.Inflate, PfnOf(A + 4 * Page), PfnOf(A), PfnOf(A + 2 * Page));
        AddPfns(rig.Inflate, PfnOf(C + Page), PfnOf(A + 3 * Page), PfnOf(A + Page));
        AddPfns(rig.Inflate, PfnOf(C), PfnOf(A + 5 * Page));
    }

    [Fact]
    public void Inflate_CoalesceMergesPfnsOfSeveralBuffersIntoRuns()
    {
        using var rig = Pfn(ReleasePolicy.Coalesce);
        AddScatteredBuffers(rig);

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(3, Used(rig.Inflate).Count);
        Assert.Equal(1, rig.Counters.Kicks);
        Assert.Equal(3, rig.Counters.Buffers);
        Assert.Equal(2, rig.Counters.Runs);
        Assert.Equal(2, rig.Counters.ReleaseCalls);
        rig.AssertReleased((A, 6), (C, 2));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_PerPageReleasesEachPfnOnItsOwn()
    {
        using var rig = Pfn(ReleasePolicy.PerPage);
        AddScatteredBuffers(rig);

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(3, Used(rig.Inflate).Count);
        Assert.Equal(8, rig.Counters.Runs);
        Assert.Equal(8, rig.Counters.ReleaseCalls);
        rig.AssertReleased((A, 6), (C, 2));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_CoalesceDoesNotMergeAcrossWakeUps()
    {
        using var rig = Pfn(ReleasePolicy.Coalesce);
        AddPfns(rig.Inflate, Pfns(A, 3));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        AddPfns(rig.Inflate, Pfns(A + 3 * Page, 3));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(2, rig.Counters.Runs);
        Assert.Equal(2, rig.Counters.ReleaseCalls);
        rig.AssertReleased((A, 6));
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce, 1, 2)]
    [InlineData(ReleasePolicy.PerPage, 4, 4)]
    public void Inflate_PfnRunAcrossAdjacentRegionsIsReleasedOncePerRegion(ReleasePolicy release, long runs, long calls)
    {
        // A ends where B starts in guest space but not in the file: one run, two host ranges.
        using var rig = Pfn(release);
        AddPfns(rig.Inflate, Pfns(B - 2 * Page, 4));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(runs, rig.Counters.Runs);
        Assert.Equal(calls, rig.Counters.ReleaseCalls);
        rig.AssertReleased((B - 2 * Page, 4));
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce, 1, 2)]
    [InlineData(ReleasePolicy.PerPage, 1, 2)]
    public void Inflate_SgRangeAcrossAdjacentRegionsIsReleasedOncePerRegion(ReleasePolicy release, long runs, long calls)
    {
        using var rig = Sg(release);
        rig.Inflate.AddChain(Range(B - 4 * Page, (uint)(8 * Page)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(runs, rig.Counters.Runs);
        Assert.Equal(calls, rig.Counters.ReleaseCalls);
        rig.AssertReleased((B - 4 * Page, 8));
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce, 1)]
    [InlineData(ReleasePolicy.PerPage, 3)]
    public void Inflate_SgAdjacentRangesOfSeveralBuffers(ReleasePolicy release, long calls)
    {
        // Coalesce merges them; PerPage is the seed's host, which releases each range as it arrives.
        using var rig = Sg(release);
        rig.Inflate.AddChain(Range(C + 4 * Page, (uint)(4 * Page)));
        rig.Inflate.AddChain(Range(C, (uint)(4 * Page)));
        rig.Inflate.AddChain(Range(C + 8 * Page, (uint)(2 * Page)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(calls, rig.Counters.Runs);
        Assert.Equal(calls, rig.Counters.ReleaseCalls);
        rig.AssertReleased((C, 10));
        rig.AssertNoErrors();
    }
}
