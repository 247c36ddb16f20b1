using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using static Ballast.Balloon.Tests.Device.HugePageRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Huge-page guest RAM (issue #14): a host page is released when every 4 KiB frame in it is ballooned, whatever order
/// and buffers the frames came in, never before, never partially on hugetlb; a deflated frame makes its page "not
/// released" and inflating it again releases the page again. The same tests on 4 KiB memory show every frame released
/// at once. Memory is checked through the memfd's st_blocks and what every frame reads.
/// </summary>
public sealed class HugePageReleaseTests
{
    public static TheoryData<MemoryBacking> Backings => [MemoryBacking.Pages4K, MemoryBacking.Thp, MemoryBacking.Hugetlb];

    public static TheoryData<MemoryBacking> HugeBackings => [MemoryBacking.Thp, MemoryBacking.Hugetlb];

    [Theory]
    [MemberData(nameof(Backings))]
    public void TheRegionsKnowTheirBacking(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing);

        Assert.All(rig.Memory.Regions, r => Assert.Equal(backing, r.Backing));
        Assert.Equal(backing == MemoryBacking.Pages4K ? Page : Huge, rig.HostPage);
        Assert.Equal((backing, rig.HostPage), rig.Device.HostPages);
    }

    [Theory]
    [MemberData(nameof(Backings))]
    public void OutOfOrderFramesAcrossBuffers_ReleaseTheHostPageWhenTheLastFrameArrives(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing);
        var frames = Frames(D + Huge, FramesPerHuge);   // H1, all 512 frames, scrambled
        new Random(14).Shuffle(frames);
        var last = frames[^1];

        // Three kicks of several buffers each, the page's last frame in none of them.
        rig.InflatePfns(frames[..100]);
        rig.InflatePfns(frames[100..300]);
        rig.InflatePfns(frames[300..^1]);

        var heldBefore = rig.Device.HeldInPartialHostPagesBytes;
        var releasedBefore = rig.ReleasedBytes;
        rig.InflatePfns(last);

        if (backing == MemoryBacking.Pages4K)
        {
            Assert.Equal((long)(Huge - Page), releasedBefore);
            Assert.Equal(0, heldBefore);
        }
        else
        {
            Assert.Equal(0, releasedBefore);   // nothing of a host page goes while one frame of it is in use
            Assert.Equal((long)(Huge - Page), heldBefore);
        }
        Assert.Equal((long)Huge, rig.ReleasedBytes);
        Assert.Equal(0, rig.Device.HeldInPartialHostPagesBytes);
        rig.AssertOnlyZero((D + Huge, FramesPerHuge));
        Assert.Equal(0, rig.Device.Counters.TotalErrors);
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void OnePerPageRelease_EachHostPageOnceWhenComplete(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, new BalloonDeviceOptions { Release = ReleasePolicy.PerPage });

        rig.InflatePfns(Frames(D, 2 * FramesPerHuge + 7));  // H0, H1 and 7 frames of H2, in order

        Assert.Equal(2, rig.Device.Counters.ReleaseCalls);
        Assert.Equal((long)(2 * Huge), rig.ReleasedBytes);
        rig.AssertOnlyZero((D, 2 * FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void ScatterGather_HalfAHostPageWaitsForItsOtherHalf_InAnotherBuffer(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, new BalloonDeviceOptions { ScatterGather = true });

        rig.InflateRange(D + Huge / 2, Huge);          // the top half of H0 and the bottom half of H1
        Assert.Equal(0, rig.ReleasedBytes);
        rig.InflateRange(D + Huge + Huge / 2, Huge + Huge / 2);  // the rest of H1 and all of H2

        Assert.Equal((long)(2 * Huge), rig.ReleasedBytes);     // H1 and H2; H0's top half waits
        Assert.Equal((long)(Huge / 2), rig.Device.HeldInPartialHostPagesBytes);
        rig.InflateRange(D, Huge / 2);
        Assert.Equal((long)(3 * Huge), rig.ReleasedBytes);
        rig.AssertOnlyZero((D, 3 * FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void TwoRunsOfOneDrainCompletingOnePage_ReleaseItOnce(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing);
        rig.InflatePfns(D + Huge + 100 * Page);   // one frame of H1 first

        // Then, in one kick, the frames of H1 on both sides of it: two runs of the drain, one host page.
        rig.InflatePfns([.. Frames(D + Huge, 100), .. Frames(D + Huge + 101 * Page, FramesPerHuge - 101)]);

        Assert.Equal(1, rig.Device.Counters.ReleaseCalls);
        Assert.Equal((long)Huge, rig.Device.Counters.BytesReleased);
        Assert.Equal((long)Huge, rig.ReleasedBytes);
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void DeflateInsideAReleasedPage_MakesItNotReleased_AndInflatingAgainReleasesItAgain(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing);
        var page = D + 2 * Huge;
        rig.InflatePfns(Frames(page, FramesPerHuge));
        Assert.Equal((long)Huge, rig.ReleasedBytes);

        var frame = page + 42 * Page;
        rig.DeflatePfns(frame);
        rig.WritePattern(frame);                       // the guest uses the frame it took back: a new host page behind it

        Assert.InRange(rig.ReleasedBytes, 0, (long)(Huge - Page));   // a host page (huge, or 4 KiB on THP) is back behind it
        Assert.Equal((long)(Huge - Page), rig.Device.HeldInPartialHostPagesBytes);
        Assert.True(rig.HasPattern(frame));

        rig.InflatePfns(frame);

        Assert.Equal((long)Huge, rig.ReleasedBytes);
        Assert.Equal(0, rig.Device.HeldInPartialHostPagesBytes);
        Assert.Equal(2, rig.Device.Counters.ReleaseCalls);
        rig.AssertOnlyZero((page, FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void HostPagesStraddlingARegionEdge_AreNeverReleased(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing);

        rig.InflatePfns(Frames(E, ESize / Page));      // all of E: one whole host page and two halves of straddling ones

        Assert.Equal((long)Huge, rig.ReleasedBytes);
        Assert.Equal((long)(ESize - Huge), rig.Device.HeldInPartialHostPagesBytes);
        rig.AssertOnlyZero((EWhole, FramesPerHuge));
    }

    [Fact]
    public void ThpWith4KGranularity_ReleasesEveryFrameAtOnce()
    {
        using var rig = new HugePageRig(MemoryBacking.Thp, new BalloonDeviceOptions { Granularity = ReleaseGranularity.Page4K });

        rig.InflatePfns(Frames(D, 3));

        Assert.Equal((long)(3 * Page), rig.Device.Counters.BytesReleased);
        Assert.Equal(0, rig.Device.HeldInPartialHostPagesBytes);
        rig.AssertOnlyZero((D, 3));
    }

    [Fact]
    public void HugetlbIgnores4KGranularity()
    {
        using var rig = new HugePageRig(MemoryBacking.Hugetlb, new BalloonDeviceOptions { Granularity = ReleaseGranularity.Page4K });

        rig.InflatePfns(Frames(D, FramesPerHuge + 3));

        Assert.Equal((long)Huge, rig.Device.Counters.BytesReleased);
        Assert.Equal((long)Huge, rig.ReleasedBytes);
        rig.AssertOnlyZero((D, FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void DeferredRelease_WholeHostPagesAfterTheBuffersComeBack(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing, new BalloonDeviceOptions { DeferRelease = true }, mustTellHost: true);
        Assert.True(rig.Device.ReleaseDeferred);

        rig.InflatePfns(Frames(D, FramesPerHuge + 9));
        rig.Device.WaitForReleases();

        Assert.Equal((long)Huge, rig.ReleasedBytes);
        rig.DeflatePfns(D);                             // waits for queued releases, then acknowledges
        Assert.Equal(0, rig.Device.PendingReleaseBytes);
        rig.AssertOnlyZero((D, FramesPerHuge));
    }

    [Theory]
    [MemberData(nameof(HugeBackings))]
    public void ReleaseRecorded_ReleasesOnlyTheCompleteHostPagesOfTheRecord(MemoryBacking backing)
    {
        using var rig = new HugePageRig(backing);
        using var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        rig.InflatePfns(Frames(D, FramesPerHuge + 300));
        Assert.Equal((long)Huge, rig.ReleasedBytes);

        // A second worker on the same memory, from the record: it releases what the record says is whole, again.
        var device = new BalloonDevice(rig.Device.Options) { Memory = rig.Memory };
        device.SetDriverFeatures(rig.Device.NegotiatedFeatures);
        using var resumed = BalloonRecord.Open(Ballast.TestKit.FdProbe.Dup(record.Fd));
        device.AttachRecord(resumed, resume: true);

        Assert.Equal((long)Huge, device.ReleaseRecorded());
        Assert.Equal((long)Huge, rig.ReleasedBytes);
        rig.AssertOnlyZero((D, FramesPerHuge));
    }
}
