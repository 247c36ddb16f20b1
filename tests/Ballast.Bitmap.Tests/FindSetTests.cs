namespace Ballast.Bitmap.Tests;

/// <summary>FindSet returns the first set bit in [start, end) or end, jumping over empty regions.</summary>
public class FindSetTests
{
    [Fact]
    public void FindSet_SkipsEmptyChunks()
    {
        // 2^48 empty leaves lie between the two bits: visiting them one by one would never finish.
        var bitmap = new XBitmap();
        bitmap.Set(3);
        bitmap.Set(1UL << 63);
        bitmap.Set(ulong.MaxValue - 1);

        Assert.Equal(3UL, bitmap.FindSet(0, ulong.MaxValue));
        Assert.Equal(1UL << 63, bitmap.FindSet(4, ulong.MaxValue));
        Assert.Equal(ulong.MaxValue - 1, bitmap.FindSet((1UL << 63) + 1, ulong.MaxValue));
    }

    [Fact]
    public void FindSet_ReturnsEndWhenNothingIsSetBeforeIt()
    {
        var bitmap = new XBitmap();
        Assert.Equal(1000UL, bitmap.FindSet(0, 1000));
        bitmap.Set(1000);
        Assert.Equal(1000UL, bitmap.FindSet(0, 1000));
        Assert.Equal(1000UL, bitmap.FindSet(0, 1001));
        Assert.Equal(1001UL, bitmap.FindSet(1001, 1001));
    }

    [Fact]
    public void FindSet_FindsBitsAcrossWordAndLeafBoundaries()
    {
        var bitmap = new XBitmap();
        ulong[] bits = [63, 64, 32767, 32768, 65535 + 64, (1UL << 32) - 1, 1UL << 32];
        foreach (ulong bit in bits)
        {
            bitmap.Set(bit);
        }

        ulong position = 0;
        foreach (ulong bit in bits)
        {
            Assert.Equal(bit, bitmap.FindSet(position, ulong.MaxValue));
            position = bit + 1;
        }

        Assert.Equal(ulong.MaxValue, bitmap.FindSet(position, ulong.MaxValue));
    }

    [Fact]
    public void FindSet_InsideFullRegion_ReturnsStart()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(1UL << 40, 1UL << 36);
        Assert.Equal(1UL << 40, bitmap.FindSet(0, ulong.MaxValue));
        Assert.Equal((1UL << 40) + 999, bitmap.FindSet((1UL << 40) + 999, ulong.MaxValue));
    }
}
