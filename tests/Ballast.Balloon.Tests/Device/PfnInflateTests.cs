using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Inflate with PFN arrays, VIRTIO 1.2 §5.5.6: "the driver ... puts the page frame numbers (PFNs) of the pages
/// in the inflateq" as le32 4 KiB frame numbers. Every frame is recorded and its host memory really freed.
/// </summary>
public sealed class PfnInflateTests
{
    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Inflate_ReleasesPfnsInEveryRegion(ReleasePolicy release)
    {
        using var rig = Pfn(release);
        var head = AddPfns(rig.Inflate, PfnOf(A + 3 * Page), PfnOf(B + 10 * Page), PfnOf(C), PfnOf(C + 63 * Page));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        rig.AssertReleased((A + 3 * Page, 1), (B + 10 * Page, 1), (C, 1), (C + 63 * Page, 1));
        Assert.Equal(4UL, rig.Device.BalloonedPages);
        Assert.True(rig.Device.IsBallooned(PfnOf(B + 10 * Page)));
        Assert.False(rig.Device.IsBallooned(PfnOf(B + 11 * Page)));
        Assert.Equal(4, rig.Counters.PagesInflated);
        Assert.Equal(1, rig.Counters.Buffers);
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Inflate_ReleasesEveryDataPage(ReleasePolicy release)
    {
        // A Linux guest sends up to 256 PFNs per buffer (VIRTIO_BALLOON_ARRAY_PFNS_MAX); give it all of A, B, C.
        using var rig = Pfn(release, top: false);
        uint[] all = [.. Pfns(A, 128), .. Pfns(C, 64)];
        Random.Shared.Shuffle(all);
        var first = AddPfns(rig.Inflate, all.AsSpan(0, 100));
        var second = AddPfns(rig.Inflate, all.AsSpan(100));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(first, 0), new UsedElement(second, 0)], Used(rig.Inflate));
        rig.AssertReleased((A, 128), (C, 64));
        Assert.Equal(192UL, rig.Device.BalloonedPages);
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_PfnArrayMayBeSplitAcrossDescriptors()
    {
        // §2.6.4 "Message Framing": the device must not assume a particular arrangement of descriptors.
        using var rig = Pfn();
        var head = rig.Inflate.AddChain(PfnArray(rig.Inflate, PfnOf(A), PfnOf(A + Page)), PfnArray(rig.Inflate, PfnOf(C)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        rig.AssertReleased((A, 2), (C, 1));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_ReadsPfnsThroughAnIndirectTable()
    {
        using var rig = Pfn();
        var table = rig.Inflate.AllocateBuffer(2 * 16);
        var head = rig.Inflate.AddIndirect(table, PfnArray(rig.Inflate, PfnOf(B)), PfnArray(rig.Inflate, PfnOf(B + Page)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        rig.AssertReleased((B, 2));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Inflate_EmptyPfnArrayIsAcceptedAndReturned()
    {
        using var rig = Pfn();
        var head = rig.Inflate.AddChain(new BufferSegment(rig.Inflate.AllocateBuffer(4), 0, DeviceWritable: false));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        rig.AssertNothingReleased();
        rig.AssertNoErrors();
    }
}
