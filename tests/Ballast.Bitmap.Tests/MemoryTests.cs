namespace Ballast.Bitmap.Tests;

/// <summary>
/// Memory follows what is set: nothing for empty regions, next to nothing for full ones, about one bit per
/// bit for mixed ones, and 0 again once everything is cleared.
/// </summary>
public class MemoryTests
{
    private const ulong PagesIn8GiB = 2_097_152;     // 8 GiB of 4 KiB pages
    private const ulong PagesIn7GiB = 1_835_008;
    private const ulong PagesPerBlock = 512;         // a 2 MiB block

    [Fact]
    public void SevenGiBOfPages_IsOneRunAndCostsLittle()
    {
        var bitmap = new XBitmap();
        // An idle guest's buddy allocator hands out 2 MiB blocks from the top of memory down, and the
        // balloon records their pages one by one.
        for (ulong block = PagesIn8GiB / PagesPerBlock; block-- > (PagesIn8GiB - PagesIn7GiB) / PagesPerBlock;)
        {
            for (ulong page = 0; page < PagesPerBlock; page++)
            {
                Assert.True(bitmap.Set((block * PagesPerBlock) + page));
            }
        }

        Assert.Equal(PagesIn7GiB, bitmap.Count);
        Assert.Equal([new XBitmapRun(PagesIn8GiB - PagesIn7GiB, PagesIn7GiB)], bitmap.Runs(0, PagesIn8GiB).ToList());
        AssertAtMostBitsPerSetBit(bitmap, 1.1);
        bitmap.CheckInvariants();

        bitmap.ClearRange(0, PagesIn8GiB);
        Assert.Equal(0UL, bitmap.Count);
        Assert.Equal(0, bitmap.MemoryBytes);
        Assert.Empty(bitmap.Runs(0, ulong.MaxValue));

        bitmap.SetRange(PagesIn8GiB - PagesIn7GiB, PagesIn7GiB);
        Assert.Equal([new XBitmapRun(PagesIn8GiB - PagesIn7GiB, PagesIn7GiB)], bitmap.Runs(0, PagesIn8GiB).ToList());
        AssertAtMostBitsPerSetBit(bitmap, 1.1);
        bitmap.Reset();
        Assert.Equal(0, bitmap.MemoryBytes);
        Assert.Equal(0UL, bitmap.Count);
    }

    [Fact]
    public void DenseMixedLeaves_CostAtMost1Point1BitsPerSetBit()
    {
        // Every leaf keeps one hole, so none can fold into a full slot: the worst case for dense data.
        var bitmap = new XBitmap();
        bitmap.SetRange(0, PagesIn8GiB);
        for (ulong hole = 12345; hole < PagesIn8GiB; hole += 32768)
        {
            bitmap.Clear(hole);
        }

        Assert.Equal(PagesIn8GiB - 64, bitmap.Count);
        AssertAtMostBitsPerSetBit(bitmap, 1.1);
        bitmap.CheckInvariants();

        bitmap.ClearRange(0, PagesIn8GiB);
        Assert.Equal(0, bitmap.MemoryBytes);
    }

    [Fact]
    public void SparseBitsAcrossTheSpace_CostOnlyTheirLeavesAndPaths()
    {
        var bitmap = new XBitmap();
        ulong[] bits = [0, 1UL << 32, 1UL << 63, ulong.MaxValue - 1];
        foreach (ulong bit in bits)
        {
            bitmap.Set(bit);
        }

        // At most one leaf and a 9-node path per bit (the 64-bit space needs 9 levels of 64 slots).
        long bound = bits.Length * (BitmapLeaf.SizeInBytes + (9 * BitmapNode.SizeInBytes));
        Assert.InRange(bitmap.MemoryBytes, 1, bound);
        bitmap.CheckInvariants();

        foreach (ulong bit in bits)
        {
            bitmap.Clear(bit);
        }

        Assert.Equal(0, bitmap.MemoryBytes);
        bitmap.CheckInvariants();
    }

    [Fact]
    public void SizeConstants_MatchWhatTheRuntimeAllocates()
    {
        var warm = new XBitmap();
        warm.Set(1);
        warm.Reset();

        var bitmap = new XBitmap();
        long before = GC.GetAllocatedBytesForCurrentThread();
        bitmap.Set(1); // one bottom node (the root) and one leaf
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(BitmapNode.SizeInBytes + BitmapLeaf.SizeInBytes, bitmap.MemoryBytes);
        Assert.Equal(bitmap.MemoryBytes, allocated);
    }

    [Fact]
    public void EmptyBitmap_HoldsNothing()
    {
        var bitmap = new XBitmap();
        Assert.Equal(0, bitmap.MemoryBytes);
        Assert.Equal(0UL, bitmap.Count);
        bitmap.ClearRange(0, ulong.MaxValue);
        Assert.False(bitmap.Test(1UL << 40));
        Assert.Equal(0, bitmap.MemoryBytes);
    }

    private static void AssertAtMostBitsPerSetBit(XBitmap bitmap, double bitsPerSetBit)
    {
        const long FixedOverhead = 16 * 1024; // a few nodes and the spare leaf
        double bound = (bitmap.Count * bitsPerSetBit / 8) + FixedOverhead;
        Assert.True(bitmap.MemoryBytes <= bound, $"MemoryBytes {bitmap.MemoryBytes} > {bound:F0} for {bitmap.Count} bits");
    }
}
