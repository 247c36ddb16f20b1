namespace Ballast.Bitmap.Tests;

/// <summary>Ranges as wide as the whole valid space (2^64−1 bits) are O(tree height), not O(bits).</summary>
public class WholeSpaceTests
{
    [Fact]
    public void SetRange_WholeSpace_IsOneRunAndSmall()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(0, ulong.MaxValue);

        Assert.Equal(ulong.MaxValue, bitmap.Count);
        Assert.Equal([new XBitmapRun(0, ulong.MaxValue)], bitmap.Runs(0, ulong.MaxValue).ToList());
        Assert.True(bitmap.Test(0));
        Assert.True(bitmap.Test(ulong.MaxValue - 1));
        Assert.True(bitmap.MemoryBytes < 64 * 1024, $"MemoryBytes {bitmap.MemoryBytes}");
        bitmap.CheckInvariants();
    }

    [Fact]
    public void ClearingHolesInWholeSpace_SplitsRuns()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(0, ulong.MaxValue);
        bitmap.Clear(1UL << 32);
        bitmap.ClearRange(1UL << 63, 1UL << 40);

        Assert.Equal(ulong.MaxValue - 1 - (1UL << 40), bitmap.Count);
        Assert.Equal(
            [
                new XBitmapRun(0, 1UL << 32),
                new XBitmapRun((1UL << 32) + 1, (1UL << 63) - (1UL << 32) - 1),
                new XBitmapRun((1UL << 63) + (1UL << 40), ulong.MaxValue - (1UL << 63) - (1UL << 40)),
            ],
            bitmap.Runs(0, ulong.MaxValue).ToList());
        bitmap.CheckInvariants();

        bitmap.ClearRange(0, ulong.MaxValue);
        Assert.Equal(0UL, bitmap.Count);
        Assert.Equal(0, bitmap.MemoryBytes);
    }
}
