using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Guest;

/// <summary>The allocator's reported and isolated free blocks (BuddyAllocator.Reporting.cs).</summary>
public class BuddyAllocatorReportingTests
{
    private const int Order9 = 9;
    private const int Order10 = BuddyAllocator.MaxOrder;

    [Fact]
    public void IsolateUnreported_TakesBlocksOffTheFreeLists()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(8 * BuddyAllocator.MaxOrderFrames));
        var blocks = new ulong[3];

        var taken = allocator.IsolateUnreported(Order10, blocks);

        Assert.Equal(3, taken);
        Assert.Equal(5, allocator.FreeBlocks(Order10));
        Assert.Equal(3 * BuddyAllocator.MaxOrderFrames, allocator.IsolatedFrames);
        Assert.Equal(5 * BuddyAllocator.MaxOrderFrames, allocator.FreeFrames);
        Assert.All(blocks, pfn => Assert.False(allocator.IsAllocated(pfn)));
        allocator.Validate();
    }

    [Fact]
    public void PutBackIsolated_Reported_IsNotIsolatedAgain()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(8 * BuddyAllocator.MaxOrderFrames));
        var blocks = new ulong[8];
        Assert.Equal(8, allocator.IsolateUnreported(Order10, blocks));

        foreach (var pfn in blocks)
            allocator.PutBackIsolated(pfn, Order10, reported: true);

        Assert.Equal(8, allocator.ReportedBlocks(Order10));
        Assert.Equal(0, allocator.UnreportedBlocks(Order10));
        Assert.Equal(allocator.TotalFrames, allocator.ReportedFrames);
        Assert.Equal(0UL, allocator.IsolatedFrames);
        Assert.Equal(0, allocator.IsolateUnreported(Order10, blocks));
        Assert.Equal(blocks.Order(), allocator.ReportedBlockList().Select(b => b.Pfn).Order());
        allocator.Validate();
    }

    [Fact]
    public void PutBackIsolated_NotReported_StaysUnreported()
    {
        // A report the driver failed: the blocks come back as they were.
        var allocator = new BuddyAllocator(GuestLayouts.Flat(2 * BuddyAllocator.MaxOrderFrames));
        var blocks = new ulong[2];
        allocator.IsolateUnreported(Order10, blocks);

        foreach (var pfn in blocks)
            allocator.PutBackIsolated(pfn, Order10, reported: false);

        Assert.Equal(0UL, allocator.ReportedFrames);
        Assert.Equal(2, allocator.UnreportedBlocks(Order10));
        allocator.Validate();
    }

    [Fact]
    public void TryAlloc_PrefersUnreportedBlocks_AndClearsTheFlagOfWhatItSplits()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(2 * BuddyAllocator.MaxOrderFrames));
        Span<ulong> first = stackalloc ulong[1];
        allocator.IsolateUnreported(Order10, first);
        allocator.PutBackIsolated(first[0], Order10, reported: true);

        Assert.True(allocator.TryAlloc(Order10, out var unreported));
        Assert.NotEqual(first[0], unreported);
        Assert.True(allocator.IsReported(first[0]));

        Assert.True(allocator.TryAlloc(0, out var pfn));
        Assert.Equal(first[0], pfn);
        Assert.Equal(0UL, allocator.ReportedFrames);
        Assert.False(allocator.IsReported(first[0] + 1));
        Assert.Equal(1, allocator.UnreportedBlocks(Order9));
        allocator.Validate();
    }

    [Fact]
    public void Free_MergingWithAReportedBuddy_ClearsTheFlag()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(BuddyAllocator.MaxOrderFrames));
        Assert.True(allocator.TryAlloc(Order9, out var low));
        Span<ulong> high = stackalloc ulong[1];
        Assert.Equal(1, allocator.IsolateUnreported(Order9, high));
        allocator.PutBackIsolated(high[0], Order9, reported: true);
        Assert.Equal(1, allocator.ReportedBlocks(Order9));

        allocator.Free(low, Order9);

        Assert.Equal(0, allocator.ReportedBlocks(Order9));
        Assert.Equal(1, allocator.UnreportedBlocks(Order10));
        Assert.False(allocator.IsReported(high[0]));
        allocator.Validate();
    }

    [Fact]
    public void PutBackIsolated_MergingWithABuddyFreedMeanwhile_IsUnreported()
    {
        // Linux marks a block reported only if it is still the same free block once back on the list.
        var allocator = new BuddyAllocator(GuestLayouts.Flat(BuddyAllocator.MaxOrderFrames));
        Assert.True(allocator.TryAlloc(Order9, out var low));
        Span<ulong> high = stackalloc ulong[1];
        Assert.Equal(1, allocator.IsolateUnreported(Order9, high));
        allocator.Free(low, Order9);   // the isolated buddy does not merge
        Assert.Equal(1, allocator.FreeBlocks(Order9));

        allocator.PutBackIsolated(high[0], Order9, reported: true);

        Assert.Equal(0UL, allocator.ReportedFrames);
        Assert.Equal(1, allocator.UnreportedBlocks(Order10));
        Assert.Equal(0, allocator.FreeBlocks(Order9));
        allocator.Validate();
    }

    [Fact]
    public void IsolatedFrames_CannotBeFreedReservedOrAllocated()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(BuddyAllocator.MaxOrderFrames));
        Span<ulong> block = stackalloc ulong[1];
        Assert.Equal(1, allocator.IsolateUnreported(Order10, block));
        var pfn = block[0];

        var free = Assert.Throws<InvalidOperationException>(() => allocator.Free(pfn + 5, 0));
        Assert.Contains("isolated", free.Message, StringComparison.Ordinal);
        var reserve = Assert.Throws<InvalidOperationException>(() => allocator.Reserve(pfn + 5, 1));
        Assert.Contains("isolated", reserve.Message, StringComparison.Ordinal);
        Assert.False(allocator.TryAlloc(0, out _));
        Assert.Equal(0UL, allocator.ReserveRandom(1.0, seed: 1));
        allocator.Validate();
    }

    [Fact]
    public void PutBackIsolated_OfABlockNotIsolated_Throws()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(BuddyAllocator.MaxOrderFrames));

        var e = Assert.Throws<InvalidOperationException>(() => allocator.PutBackIsolated(0, Order10, reported: true));

        Assert.Contains("not isolated", e.Message, StringComparison.Ordinal);
        allocator.Validate();
    }
}
