namespace Ballast.Bitmap.Tests;

/// <summary>FindZero returns the first clear bit in [start, end) or end, jumping over full regions.</summary>
public class FindZeroTests
{
    [Fact]
    public void FindZero_SkipsFullChunks()
    {
        // 2^35 full leaves precede the first zero: a scan per bit or per leaf would never finish.
        var bitmap = new XBitmap();
        bitmap.SetRange(0, 1UL << 50);
        Assert.Equal(1UL << 50, bitmap.FindZero(0, ulong.MaxValue));
        Assert.Equal(1UL << 50, bitmap.FindZero(12345, ulong.MaxValue));
        Assert.Equal(1UL << 49, bitmap.FindZero(0, 1UL << 49));
    }

    [Fact]
    public void FindZero_SkipsFullLeavesBuiltBitByBit()
    {
        var bitmap = new XBitmap();
        ulong end = 70 * 32768UL; // crosses a bottom-node boundary (64 leaves)
        for (ulong bit = 0; bit < end; bit++)
        {
            bitmap.Set(bit);
        }

        Assert.Equal(end, bitmap.FindZero(0, ulong.MaxValue));
        bitmap.Clear(end - 5);
        Assert.Equal(end - 5, bitmap.FindZero(0, ulong.MaxValue));
        Assert.Equal(end, bitmap.FindZero(end - 4, ulong.MaxValue));
        bitmap.CheckInvariants();
    }

    [Fact]
    public void FindZero_InAbsentRegion_ReturnsStart()
    {
        var bitmap = new XBitmap();
        bitmap.Set(10);
        Assert.Equal(11UL, bitmap.FindZero(10, ulong.MaxValue));
        Assert.Equal(1UL << 60, bitmap.FindZero(1UL << 60, ulong.MaxValue));
    }

    [Fact]
    public void FindZero_AfterWholeSpaceIsSet_ReturnsEnd()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(0, ulong.MaxValue);
        Assert.Equal(ulong.MaxValue, bitmap.FindZero(0, ulong.MaxValue));
        Assert.Equal(ulong.MaxValue, bitmap.FindZero(ulong.MaxValue - 1, ulong.MaxValue));
        Assert.Equal(1UL << 63, bitmap.FindZero(0, 1UL << 63));
    }
}
