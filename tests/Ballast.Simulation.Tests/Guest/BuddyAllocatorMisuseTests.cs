using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Guest;

public class BuddyAllocatorMisuseTests
{
    [Fact]
    public void Free_DoubleFreeThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));
        Assert.True(allocator.TryAlloc(0, out var pfn));
        allocator.Free(pfn, 0);

        Assert.Throws<InvalidOperationException>(() => allocator.Free(pfn, 0));
        allocator.Validate();
    }

    [Fact]
    public void Free_NeverAllocatedFrameThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.Throws<InvalidOperationException>(() => allocator.Free(17, 0));
        Assert.Throws<InvalidOperationException>(() => allocator.Free(0, BuddyAllocator.MaxOrder));
        Assert.Equal(1024UL, allocator.FreeFrames);
    }

    [Fact]
    public void Free_PartlyAllocatedBlockThrowsAndChangesNothing()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));
        Assert.True(allocator.TryAlloc(0, out _));
        Assert.True(allocator.TryAlloc(0, out _));
        allocator.Free(1, 0);
        var before = GuestLayouts.BuddyInfo(allocator);

        Assert.Throws<InvalidOperationException>(() => allocator.Free(0, 1));

        Assert.True(allocator.IsAllocated(0));
        Assert.Equal(before, GuestLayouts.BuddyInfo(allocator));
        Assert.Equal(1L, allocator.Frees);
        allocator.Validate();
    }

    [Fact]
    public void Free_HoleFrameThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(1024));

        Assert.Throws<InvalidOperationException>(() => allocator.Free(GuestLayouts.HoleStart, 0));
    }

    [Fact]
    public void Free_MisalignedBlockThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));
        Assert.True(allocator.TryAlloc(2, out _));

        Assert.Throws<ArgumentException>(() => allocator.Free(2, 2));
        Assert.Throws<ArgumentException>(() => allocator.Free(1, 1));
        allocator.Validate();
    }

    [Fact]
    public void Free_BeyondEndThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Free(1024, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Free(ulong.MaxValue, 0));
    }

    [Fact]
    public void Free_BlockRunningPastEndThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1536));

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Free(1024, BuddyAllocator.MaxOrder));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(BuddyAllocator.MaxOrder + 1)]
    public void Order_OutsideRangeThrows(int order)
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.TryAlloc(order, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Free(0, order));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.FreeBlocks(order));
        Assert.Equal(0L, allocator.Allocations);
    }

    [Fact]
    public void IsAllocated_FalseOutsideGuestMemory()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(1024));
        while (allocator.TryAlloc(0, out _))
        {
        }

        Assert.True(allocator.IsAllocated(0));
        Assert.False(allocator.IsAllocated(GuestLayouts.HoleStart));
        Assert.False(allocator.IsAllocated(1024));
        Assert.False(allocator.IsAllocated(ulong.MaxValue));
        Assert.False(allocator.IsUsable(ulong.MaxValue));
    }
}
