namespace Ballast.Bitmap.Tests;

/// <summary>Set/Clear report whether they changed the bit, also inside full and absent regions.</summary>
public class SetAndClearTests
{
    [Fact]
    public void Set_ReturnsTrueOnlyWhenBitWasClear()
    {
        var bitmap = new XBitmap();
        Assert.True(bitmap.Set(70));
        Assert.False(bitmap.Set(70));
        Assert.True(bitmap.Test(70));
        Assert.False(bitmap.Test(69));
        Assert.False(bitmap.Test(71));
        Assert.Equal(1UL, bitmap.Count);
    }

    [Fact]
    public void Clear_ReturnsTrueOnlyWhenBitWasSet()
    {
        var bitmap = new XBitmap();
        Assert.False(bitmap.Clear(70));
        bitmap.Set(70);
        Assert.True(bitmap.Clear(70));
        Assert.False(bitmap.Clear(70));
        Assert.Equal(0UL, bitmap.Count);
    }

    [Fact]
    public void Set_InsideFullRange_ReturnsFalse()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(1UL << 32, 1UL << 30);
        Assert.False(bitmap.Set((1UL << 32) + 12345));
        Assert.Equal(1UL << 30, bitmap.Count);
    }

    [Fact]
    public void Clear_InsideFullRange_SplitsIt()
    {
        var bitmap = new XBitmap();
        ulong start = 1UL << 32;
        bitmap.SetRange(start, 1UL << 30);
        ulong hole = start + (1UL << 29) + 77;

        Assert.True(bitmap.Clear(hole));
        Assert.False(bitmap.Test(hole));
        Assert.True(bitmap.Test(hole - 1));
        Assert.True(bitmap.Test(hole + 1));
        Assert.Equal((1UL << 30) - 1, bitmap.Count);
        Assert.Equal(
            [new XBitmapRun(start, hole - start), new XBitmapRun(hole + 1, start + (1UL << 30) - hole - 1)],
            bitmap.Runs(0, ulong.MaxValue));
        bitmap.CheckInvariants();

        Assert.True(bitmap.Set(hole));
        Assert.Equal([new XBitmapRun(start, 1UL << 30)], bitmap.Runs(0, ulong.MaxValue));
        bitmap.CheckInvariants();
    }

    [Fact]
    public void SetBitByBit_FoldsFullLeavesAndFreesThem()
    {
        var bitmap = new XBitmap();
        for (ulong bit = 0; bit < 4 * 32768; bit++)
        {
            Assert.True(bitmap.Set(bit));
        }

        bitmap.CheckInvariants();
        Assert.Equal(4UL * 32768, bitmap.Count);
        // Four full leaves fold into full slots: only the root node (and the spare leaf) remain.
        Assert.True(bitmap.MemoryBytes < 8 * 1024, $"MemoryBytes {bitmap.MemoryBytes}");
    }

    [Fact]
    public void Set_AtFarApartBits_KeepsEachOne()
    {
        ulong[] bits = [0, 63, 64, 32767, 32768, 1UL << 32, (1UL << 63) - 1, 1UL << 63, ulong.MaxValue - 1];
        var bitmap = new XBitmap();
        foreach (ulong bit in bits)
        {
            Assert.True(bitmap.Set(bit));
        }

        bitmap.CheckInvariants();
        Assert.Equal((ulong)bits.Length, bitmap.Count);
        foreach (ulong bit in bits)
        {
            Assert.True(bitmap.Test(bit));
            Assert.False(bitmap.Test(bit ^ 2));
        }
    }
}
