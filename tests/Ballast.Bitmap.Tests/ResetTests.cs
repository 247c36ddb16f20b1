namespace Ballast.Bitmap.Tests;

/// <summary>Reset clears every bit and frees every byte; the bitmap is usable afterwards.</summary>
public class ResetTests
{
    [Fact]
    public void Reset_ClearsEverythingAndFreesMemory()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(0, 1_000_000);
        bitmap.Set(1UL << 63);
        bitmap.Clear(500_000);
        Assert.True(bitmap.MemoryBytes > 0);

        bitmap.Reset();

        Assert.Equal(0UL, bitmap.Count);
        Assert.Equal(0, bitmap.MemoryBytes);
        Assert.False(bitmap.Test(1UL << 63));
        Assert.False(bitmap.Test(499_999));
        Assert.Equal(ulong.MaxValue, bitmap.FindSet(0, ulong.MaxValue));
        bitmap.CheckInvariants();

        Assert.True(bitmap.Set(499_999));
        Assert.Equal([new XBitmapRun(499_999, 1)], bitmap.Runs(0, ulong.MaxValue).ToList());
    }
}
