using Ballast.Balloon.Device;
using Ballast.TestKit;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Hostile SG ranges. Each bad range is skipped alone; the good ranges of its chain and the next buffer are
/// still ballooned, the buffer goes back used with length 0, the error is counted and logged, and nothing
/// outside the good ranges is released.
/// </summary>
public sealed class MalformedSgTests
{
    public static TheoryData<ulong, uint, BalloonError> BadRanges => new()
    {
        { A + 0x800, (uint)Page, BalloonError.SgUnaligned },            // address not 4 KiB aligned
        { A + 1, 2 * (uint)Page, BalloonError.SgUnaligned },
        { A, 4097, BalloonError.SgUnaligned },                          // length not a multiple of 4 KiB
        { A, 100, BalloonError.SgUnaligned },
        { A, 0x1800, BalloonError.SgUnaligned },
        { A, 0, BalloonError.SgZeroLength },
        { 0, 0, BalloonError.SgZeroLength },
        { A, 0xFFFF_F001, BalloonError.SgTooLong },                     // > 4 GiB − 4 KiB: never a 4 KiB multiple,
        { A, 0xFFFF_F800, BalloonError.SgTooLong },                     // but too long is the diagnosis
        { A, 0xFFFF_FFFF, BalloonError.SgTooLong },
        { Top + 48 * KiB, 32 * (uint)KiB, BalloonError.SgOutsideRam },  // crosses the end of RAM
        { Top + TopSize, (uint)Page, BalloonError.SgOutsideRam },       // beyond the end of RAM
        { B + RegionSize - 2 * Page, 4 * (uint)Page, BalloonError.SgOutsideRam }, // crosses B's end into a hole
        { CtlSize - Page, 2 * (uint)Page, BalloonError.SgOutsideRam },  // crosses Ctl's end into a hole
        { LowHole, (uint)Page, BalloonError.SgOutsideRam },             // in a hole
        { A - Page, 2 * (uint)Page, BalloonError.SgOutsideRam },        // starts in a hole, ends in RAM
        { A, 0xFFFF_F000, BalloonError.SgOutsideRam },                  // longest legal length, mostly holes
        { Top + 32 * KiB, 104 * (uint)KiB, BalloonError.SgOutsideRam }, // wraps 2^64, ends at 8K (inside Ctl)
        { Top, 0xFFFF_F000, BalloonError.SgOutsideRam },                // wraps 2^64
        { 0xFFFF_FFFF_FFFF_F000, 2 * (uint)Page, BalloonError.SgOutsideRam }, // wraps 2^64 to 0x1000
    };

    [Theory]
    [MemberData(nameof(BadRanges))]
    public void Inflate_SkipsBadSgRange(ulong address, uint length, BalloonError error)
    {
        using var rig = Sg();
        var head = rig.Inflate.AddChain(Range(B + 32 * Page, (uint)(2 * Page)), Range(address, length));
        var next = rig.Inflate.AddChain(Range(C + 8 * Page, (uint)(3 * Page)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0), new UsedElement(next, 0)], Used(rig.Inflate));
        Assert.Equal(5UL, rig.Device.BalloonedPages);
        rig.AssertReleased((B + 32 * Page, 2), (C + 8 * Page, 3));
        rig.AssertOnlyError(error);
    }

    [Theory]
    [MemberData(nameof(BadRanges))]
    public void Deflate_SkipsBadSgRange(ulong address, uint length, BalloonError error)
    {
        using var rig = Sg();
        rig.Inflate.AddChain(Range(A, (uint)(4 * Page)), Range(Top, (uint)TopSize));
        rig.Process(BalloonQueue.Inflate);
        var ballooned = rig.Device.BalloonedPages;

        var head = rig.Deflate.AddChain(Range(address, length));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Deflate));
        Assert.Equal(ballooned, rig.Device.BalloonedPages);
        rig.AssertReleased((A, 4), (Top, TopSize / Page));
        rig.AssertOnlyError(error);
    }

    [Fact]
    public void Inflate_SgLengthIsCheckedBeforeAlignment()
    {
        // 4 GiB − 4 KiB is the largest 4 KiB multiple a le32 can hold, so every longer length is also unaligned;
        // it is reported as too long (the specific diagnosis), and an unaligned address does not mask it either.
        using var rig = Sg();
        rig.Inflate.AddChain(Range(A + 1, uint.MaxValue));

        rig.Process(BalloonQueue.Inflate);

        rig.AssertOnlyError(BalloonError.SgTooLong);
        rig.AssertNothingReleased();
    }
}
