using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Hostile PFN arrays. A bad PFN is skipped alone (the rest of its buffer is used); a buffer that is not whole
/// le32 PFNs inside RAM is skipped whole. Either way the buffer goes back used with length 0, the error is
/// counted and logged, and no host memory but the valid frames' is released.
/// </summary>
public sealed class MalformedPfnTests
{
    [Theory]
    [InlineData(0x10_0040u)]      // the first frame after C, the end of RAM
    [InlineData(0x10_0041u)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]   // 16 TiB − 4 KiB, the highest frame a le32 PFN can name
    public void Inflate_SkipsPfnBeyondRam(uint pfn)
    {
        using var rig = Pfn(top: false);
        Assert.Equal(C + RegionSize, rig.Memory.EndAddress);
        var head = AddPfns(rig.Inflate, PfnOf(A), pfn, PfnOf(C + 63 * Page));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        Assert.False(rig.Device.IsBallooned(pfn));
        rig.AssertReleased((A, 1), (C + 63 * Page, 1));
        rig.AssertOnlyError(BalloonError.PfnOutOfRange);
    }

    [Theory]
    [InlineData(LowHole, ReleasePolicy.Coalesce)]
    [InlineData(LowHole, ReleasePolicy.PerPage)]
    [InlineData(A - Page, ReleasePolicy.Coalesce)]        // last frame of the hole below A
    [InlineData(HoleAfterB, ReleasePolicy.Coalesce)]      // first frame after B
    [InlineData(HoleAfterB, ReleasePolicy.PerPage)]
    [InlineData(C - Page, ReleasePolicy.Coalesce)]        // last frame below 4 GiB
    [InlineData(0xC000_0000, ReleasePolicy.PerPage)]
    public void Inflate_SkipsPfnInHole(ulong gpa, ReleasePolicy release)
    {
        using var rig = Pfn(release);
        var head = AddPfns(rig.Inflate, PfnOf(B), PfnOf(gpa), PfnOf(B + Page));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        Assert.False(rig.Device.IsBallooned(PfnOf(gpa)));
        rig.AssertReleased((B, 2));
        rig.AssertOnlyError(BalloonError.PfnOutOfRange);
    }

    [Fact]
    public void Inflate_CountsOneErrorPerBufferWithBadPfns()
    {
        using var rig = Pfn();
        AddPfns(rig.Inflate, PfnOf(LowHole), PfnOf(HoleAfterB), uint.MaxValue, PfnOf(A));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertReleased((A, 1));
        rig.AssertOnlyError(BalloonError.PfnOutOfRange);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains("3 PFNs", StringComparison.Ordinal));
    }

    [Fact]
    public void Deflate_SkipsPfnInHole()
    {
        using var rig = Pfn();
        AddPfns(rig.Inflate, PfnOf(A));
        rig.Process(BalloonQueue.Inflate);

        AddPfns(rig.Deflate, PfnOf(LowHole), PfnOf(A));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal(0UL, rig.Device.BalloonedPages);
        rig.AssertReleased((A, 1));
        rig.AssertOnlyError(BalloonError.PfnOutOfRange);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(15u)]
    [InlineData(17u)]
    public void Inflate_SkipsPfnBufferWhoseLengthIsNotWholePfns(uint length)
    {
        // Valid PFNs in the bytes: a device that rounded down would release them.
        using var rig = Pfn();
        var array = PfnArray(rig.Inflate, Pfns(A, 5));
        var head = rig.Inflate.AddChain(array with { Length = length });
        var good = AddPfns(rig.Inflate, PfnOf(C));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0), new UsedElement(good, 0)], Used(rig.Inflate));
        Assert.False(rig.Device.IsBallooned(PfnOf(A)));
        rig.AssertReleased((C, 1));
        rig.AssertOnlyError(BalloonError.BadPfnBuffer);
    }

    [Theory]
    [InlineData(LowHole, 16u)]                       // entirely in a hole
    [InlineData(CtlSize - 8, 16u)]                   // runs off the end of Ctl into the hole
    [InlineData(C + RegionSize - 4, 8u)]             // runs off C into the hole
    [InlineData(HoleAfterB, 4u)]
    [InlineData(Top + TopSize, 4u)]                  // beyond the end of RAM
    [InlineData(0xFFFF_FFFF_FFFF_FFFC, 8u)]          // wraps the 64-bit space
    [InlineData(0xFFFF_FFFF_FFFF_FFF0, 0xFFFF_FFF0u)]
    [InlineData(0, 0xFFFF_FFFCu)]                    // starts in RAM, 4 GiB long
    public void Inflate_SkipsPfnBufferOutsideRam(ulong address, uint length)
    {
        using var rig = Pfn();
        var head = rig.Inflate.AddChain(new BufferSegment(address, length, DeviceWritable: false));
        var good = AddPfns(rig.Inflate, PfnOf(C));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0), new UsedElement(good, 0)], Used(rig.Inflate));
        rig.AssertReleased((C, 1));
        rig.AssertOnlyError(BalloonError.BadPfnBuffer);
    }

    [Fact]
    public void Inflate_BadSegmentOfAChainSkipsOnlyThatSegment()
    {
        using var rig = Pfn();
        rig.Inflate.AddChain(PfnArray(rig.Inflate, PfnOf(A)), new BufferSegment(LowHole, 8, DeviceWritable: false), PfnArray(rig.Inflate, PfnOf(B)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertReleased((A, 1), (B, 1));
        rig.AssertOnlyError(BalloonError.BadPfnBuffer);
    }

    [Fact]
    public void Inflate_PfnOfTopRegionIsUnreachable()
    {
        // A le32 PFN names at most 16 TiB: the region near 2^64 is SG-only. Truncated PFNs must not alias into it.
        using var rig = Pfn();
        AddPfns(rig.Inflate, unchecked((uint)(Top >> 12)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.PfnOutOfRange);
    }
}
