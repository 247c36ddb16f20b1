namespace Ballast.Bitmap.Tests;

/// <summary>The tree grows upwards only when a higher bit arrives, keeping what it held.</summary>
public class TreeGrowthTests
{
    [Fact]
    public void Growth_OverAnAllFullRoot_KeepsItsBits()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(0, 64 * 32768); // fills exactly what the smallest root covers
        bitmap.Set(1UL << 40);          // the root must grow six levels

        Assert.Equal((64 * 32768UL) + 1, bitmap.Count);
        Assert.Equal(
            [new XBitmapRun(0, 64 * 32768), new XBitmapRun(1UL << 40, 1)],
            bitmap.Runs(0, ulong.MaxValue).ToList());
        bitmap.CheckInvariants();
    }

    [Fact]
    public void Growth_UnderPartialRoot_KeepsItsBits()
    {
        var bitmap = new XBitmap();
        bitmap.Set(5);
        bitmap.SetRange(100_000, 10);
        bitmap.Set(ulong.MaxValue - 1);

        Assert.Equal(
            [new XBitmapRun(5, 1), new XBitmapRun(100_000, 10), new XBitmapRun(ulong.MaxValue - 1, 1)],
            bitmap.Runs(0, ulong.MaxValue).ToList());
        bitmap.CheckInvariants();

        bitmap.Clear(ulong.MaxValue - 1);
        Assert.Equal(11UL, bitmap.Count);
        bitmap.CheckInvariants();
    }
}
