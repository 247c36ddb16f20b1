using Ballast.Bitmap.Tests.Infrastructure;

namespace Ballast.Bitmap.Tests;

/// <summary>Runs yields ascending maximal runs of set bits clipped to the range, without allocating.</summary>
public class RunsTests
{
    [Fact]
    public void Runs_AreMaximalAcrossLeafBoundaries()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(32768 - 10, 10);
        bitmap.SetRange(32768, 10);              // touches the previous range at a leaf boundary
        bitmap.Set(3 * 32768 - 1);
        bitmap.Set(3 * 32768);
        Assert.Equal(
            [new XBitmapRun(32758, 20), new XBitmapRun(98303, 2)],
            bitmap.Runs(0, ulong.MaxValue).ToList());
    }

    [Fact]
    public void Runs_ClipToRange()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(100, 100);
        bitmap.SetRange(300, 100);
        Assert.Equal(
            [new XBitmapRun(150, 50), new XBitmapRun(300, 50)],
            bitmap.Runs(150, 350).ToList());
        Assert.Equal([new XBitmapRun(120, 10)], bitmap.Runs(120, 130).ToList());
        Assert.Empty(bitmap.Runs(200, 300));
    }

    [Fact]
    public void Runs_MatchTellHostSgsWalk()
    {
        var bitmap = new XBitmap();
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            bitmap.Set((ulong)random.Next(0, 200_000));
        }

        bitmap.SetRange(150_000, 40_000);
        List<XBitmapRun> expected = TellHostSgsWalk.Walk(bitmap, 0, 199_999);
        Assert.True(expected.Count > 1000, $"only {expected.Count} runs: the pattern is too regular");
        Assert.Equal(expected, bitmap.Runs(0, 200_000).ToList());
        Assert.Equal(bitmap.Count, (ulong)expected.Sum(run => (long)run.Length));
    }

    [Fact]
    public void Runs_DoNotAllocate()
    {
        var bitmap = new XBitmap();
        for (ulong bit = 0; bit < 300_000; bit += 3)
        {
            bitmap.Set(bit);
            bitmap.Set(bit + 1);
        }

        ulong total = SumRuns(bitmap); // warm up the JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        total += SumRuns(bitmap);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(2 * bitmap.Count, total);
    }

    [Fact]
    public void Runs_Enumerator_ResetsToRangeStart()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(10, 5);
        XBitmapRuns.Enumerator enumerator = bitmap.Runs(0, 100).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        Assert.False(enumerator.MoveNext());
        enumerator.Reset();
        Assert.True(enumerator.MoveNext());
        Assert.Equal(new XBitmapRun(10, 5), enumerator.Current);
    }

    [Fact]
    public void Runs_OfDefaultValue_IsEmpty() => Assert.Empty(default(XBitmapRuns));

    private static ulong SumRuns(XBitmap bitmap)
    {
        ulong total = 0;
        foreach (XBitmapRun run in bitmap.Runs(0, ulong.MaxValue))
        {
            total += run.Length;
        }

        return total;
    }
}
