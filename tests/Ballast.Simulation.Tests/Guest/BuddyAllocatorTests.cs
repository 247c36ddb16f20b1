using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Guest;

public class BuddyAllocatorTests
{
    [Fact]
    public void Constructor_CarvesAlignedRangeIntoMaxOrderBlocks()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(8 * BuddyAllocator.MaxOrderFrames));

        Assert.Equal(8192UL, allocator.TotalFrames);
        Assert.Equal(8192UL, allocator.FreeFrames);
        Assert.Equal(8192UL, allocator.EndPfn);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8], GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void Constructor_CarvesUnalignedRangeIntoLargestAlignedBlocks()
    {
        // Frames 3..15: 3 (order 0), 4..7 (order 2), 8..15 (order 3).
        var allocator = new BuddyAllocator([(3, 13)]);

        Assert.Equal(13UL, allocator.TotalFrames);
        Assert.Equal(16UL, allocator.EndPfn);
        Assert.Equal([1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
        Assert.False(allocator.IsUsable(2));
        Assert.True(allocator.IsUsable(3));
        allocator.Validate();
    }

    [Fact]
    public void Constructor_JoinsAbuttingRangesGivenInAnyOrder()
    {
        var allocator = new BuddyAllocator([(1536, 512), (0, 1024), (1024, 512)]);

        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void Constructor_IgnoresEmptyRanges()
    {
        var allocator = new BuddyAllocator([(0, 16), (100, 0)]);

        Assert.Equal(16UL, allocator.EndPfn);
        Assert.Equal(16UL, allocator.TotalFrames);
    }

    [Fact]
    public void Constructor_WithoutRangesHasNoMemory()
    {
        var allocator = new BuddyAllocator([]);

        Assert.Equal(0UL, allocator.TotalFrames);
        Assert.False(allocator.TryAlloc(0, out _));
        allocator.Validate();
    }

    [Fact]
    public void Constructor_RejectsOverlappingRanges() =>
        Assert.Throws<ArgumentException>(() => new BuddyAllocator([(0, 100), (99, 10)]));

    [Fact]
    public void Constructor_RejectsRangeBeyondSupportedSpan() =>
        Assert.Throws<ArgumentException>(() => new BuddyAllocator([(ulong.MaxValue - 1, 10)]));

    [Fact]
    public void Constructor_QemuLayoutLeavesHoleUnusable()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(4096));

        Assert.Equal(4096UL - 16, allocator.TotalFrames);
        for (var pfn = GuestLayouts.HoleStart; pfn < GuestLayouts.HoleEnd; pfn++)
        {
            Assert.False(allocator.IsUsable(pfn));
            Assert.False(allocator.IsAllocated(pfn));
        }

        allocator.Validate();
    }

    [Fact]
    public void Alloc_NeverHandsOutHoleFrames()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(4096));
        var handedOut = new HashSet<ulong>();

        while (allocator.TryAlloc(0, out var pfn))
        {
            Assert.True(pfn is < GuestLayouts.HoleStart or >= GuestLayouts.HoleEnd, $"PFN 0x{pfn:x} is in the hole");
            Assert.True(handedOut.Add(pfn));
        }

        Assert.Equal(allocator.TotalFrames, (ulong)handedOut.Count);
        Assert.Equal(0UL, allocator.FreeFrames);
    }

    [Fact]
    public void Alloc_SplitsHigherOrder()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.True(allocator.TryAlloc(0, out var pfn));

        Assert.Equal(0UL, pfn);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], GuestLayouts.BuddyInfo(allocator));
        Assert.Equal(1023UL, allocator.FreeFrames);
        allocator.Validate();
    }

    [Fact]
    public void Alloc_KeepsUpperHalfFreeWhenSplitting()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.True(allocator.TryAlloc(3, out var pfn));

        Assert.Equal(0UL, pfn);
        for (ulong frame = 0; frame < 8; frame++)
            Assert.True(allocator.IsAllocated(frame));
        Assert.False(allocator.IsAllocated(8));
        Assert.True(allocator.TryAlloc(3, out var next));
        Assert.Equal(8UL, next);
    }

    [Fact]
    public void Alloc_Order0WalksUpThroughBlockContiguously()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(4 * BuddyAllocator.MaxOrderFrames));

        for (ulong expected = 0; expected < allocator.TotalFrames; expected++)
        {
            Assert.True(allocator.TryAlloc(0, out var pfn));
            Assert.Equal(expected, pfn);
        }
    }

    [Fact]
    public void Alloc_TakesSmallestSufficientOrder()
    {
        // An order-3 block at 8..15 and an order-10 block at 1024.
        var allocator = new BuddyAllocator([(8, 8), (1024, 1024)]);

        Assert.True(allocator.TryAlloc(2, out var pfn));

        Assert.Equal(8UL, pfn);
        Assert.Equal([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], GuestLayouts.BuddyInfo(allocator));
    }

    [Fact]
    public void Alloc_ReturnsBlocksAlignedToTheirSize()
    {
        var allocator = new BuddyAllocator([(5, 3 * BuddyAllocator.MaxOrderFrames)]);

        for (var order = 0; order <= BuddyAllocator.MaxOrder; order++)
        {
            Assert.True(allocator.TryAlloc(order, out var pfn), $"order {order}");
            Assert.Equal(0UL, pfn % (1UL << order));
        }

        allocator.Validate();
    }

    [Fact]
    public void Alloc_ReusesLastFreedFrameFirst()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));
        for (var i = 0; i < 8; i++)
            Assert.True(allocator.TryAlloc(0, out _));

        allocator.Free(5, 0);
        allocator.Free(2, 0);

        Assert.True(allocator.TryAlloc(0, out var first));
        Assert.True(allocator.TryAlloc(0, out var second));
        Assert.Equal(2UL, first);
        Assert.Equal(5UL, second);
    }

    [Fact]
    public void Alloc_FailsCleanlyWhenExhausted()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(64));
        for (var i = 0; i < 64; i++)
            Assert.True(allocator.TryAlloc(0, out _));
        var before = GuestLayouts.BuddyInfo(allocator);

        Assert.False(allocator.TryAlloc(0, out var pfn));
        Assert.False(allocator.TryAlloc(BuddyAllocator.MaxOrder, out _));

        Assert.Equal(0UL, pfn);
        Assert.Equal(0UL, allocator.FreeFrames);
        Assert.Equal(64L, allocator.Allocations);
        Assert.Equal(before, GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void Alloc_FailsWhenOnlySmallerBlocksAreFree()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(4));
        for (var i = 0; i < 4; i++)
            Assert.True(allocator.TryAlloc(0, out _));
        allocator.Free(1, 0);
        allocator.Free(2, 0);

        Assert.False(allocator.TryAlloc(1, out _));
        Assert.True(allocator.TryAlloc(0, out _));
    }

    [Fact]
    public void Free_MergesWithFreeBuddy()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(2));
        Assert.True(allocator.TryAlloc(0, out var a));
        Assert.True(allocator.TryAlloc(0, out var b));

        allocator.Free(a, 0);
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
        allocator.Free(b, 0);

        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void Free_DoesNotMergeWithBuddyOfDifferentOrder()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(4));
        for (var i = 0; i < 3; i++)
            Assert.True(allocator.TryAlloc(0, out _));

        // 3 is free; freeing 2 merges to order 1 at 2, whose order-1 buddy 0 is still allocated.
        allocator.Free(2, 0);
        allocator.Free(0, 0);

        // 0 (order 0) sits next to 2 (order 1): different orders, no merge.
        Assert.Equal([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();

        allocator.Free(1, 0);
        Assert.Equal([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
    }

    [Fact]
    public void Free_StopsMergingAtMaxOrder()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(2 * BuddyAllocator.MaxOrderFrames));
        Assert.True(allocator.TryAlloc(BuddyAllocator.MaxOrder, out var a));
        Assert.True(allocator.TryAlloc(BuddyAllocator.MaxOrder, out var b));

        allocator.Free(a, BuddyAllocator.MaxOrder);
        allocator.Free(b, BuddyAllocator.MaxOrder);

        Assert.Equal(2, allocator.FreeBlocks(BuddyAllocator.MaxOrder));
        allocator.Validate();
    }

    [Fact]
    public void Free_DoesNotMergeAcrossHole()
    {
        // Frames 0..1 usable, 2..3 a hole, 4..7 usable: 0 (order 1) can never merge into order 2.
        var allocator = new BuddyAllocator([(0, 2), (4, 4)]);
        Assert.True(allocator.TryAlloc(1, out var pfn));
        Assert.Equal(0UL, pfn);

        allocator.Free(pfn, 1);

        Assert.Equal([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void Free_AcceptsPagesOfLargerAllocation()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(8));
        Assert.True(allocator.TryAlloc(3, out var pfn));

        for (ulong i = 0; i < 8; i++)
            allocator.Free(pfn + i, 0);

        Assert.Equal([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void Counters_CountSuccessfulAllocsAndFrees()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(4));
        Assert.True(allocator.TryAlloc(1, out var a));
        Assert.True(allocator.TryAlloc(0, out var b));
        Assert.False(allocator.TryAlloc(1, out _));

        allocator.Free(b, 0);
        allocator.Free(a, 1);

        Assert.Equal(2L, allocator.Allocations);
        Assert.Equal(2L, allocator.Frees);
    }

    [Fact]
    public void Alloc_AllFramesOf256MiBGuestOneAtATime()
    {
        const ulong Frames = 256UL << 20 >> 12;
        var allocator = new BuddyAllocator(GuestLayouts.Flat(Frames));
        var initial = GuestLayouts.BuddyInfo(allocator);

        for (ulong expected = 0; expected < Frames; expected++)
        {
            Assert.True(allocator.TryAlloc(0, out var pfn));
            Assert.Equal(expected, pfn);
        }

        Assert.False(allocator.TryAlloc(0, out _));
        Assert.Equal(0UL, allocator.FreeFrames);
        Assert.Equal((long)Frames, allocator.Allocations);
        allocator.Validate();

        for (ulong pfn = 0; pfn < Frames; pfn++)
            allocator.Free(pfn, 0);

        Assert.Equal(Frames, allocator.FreeFrames);
        Assert.Equal(initial, GuestLayouts.BuddyInfo(allocator));
        Assert.Equal(64, allocator.FreeBlocks(BuddyAllocator.MaxOrder));
        allocator.Validate();
    }

    [Fact]
    public void Alloc_AllFramesOfQemuGuestAndFreeInReverse()
    {
        const ulong Frames = 256UL << 20 >> 12;
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(Frames));
        var initial = GuestLayouts.BuddyInfo(allocator);
        var pfns = new List<ulong>();

        while (allocator.TryAlloc(0, out var pfn))
            pfns.Add(pfn);

        Assert.Equal(allocator.TotalFrames, (ulong)pfns.Count);
        for (var i = pfns.Count - 1; i >= 0; i--)
            allocator.Free(pfns[i], 0);

        Assert.Equal(initial, GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }
}
