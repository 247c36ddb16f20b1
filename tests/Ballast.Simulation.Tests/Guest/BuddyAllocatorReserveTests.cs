using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Guest;

public class BuddyAllocatorReserveTests
{
    [Fact]
    public void Reserve_SplitsFreeBlockAroundRange()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.Equal(3UL, allocator.Reserve(5, 3));

        for (ulong pfn = 0; pfn < 16; pfn++)
            Assert.Equal(pfn is >= 5 and < 8, allocator.IsAllocated(pfn));
        // Left [0, 5): 0..3 (order 2), 4 (order 0). Right [8, 1024): orders 3..9.
        Assert.Equal([1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0], GuestLayouts.BuddyInfo(allocator));
        Assert.Equal(1021UL, allocator.FreeFrames);
        allocator.Validate();
    }

    [Fact]
    public void Reserve_SpansSeveralFreeBlocks()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(4 * BuddyAllocator.MaxOrderFrames));

        Assert.Equal(2048UL, allocator.Reserve(512, 2048));

        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1], GuestLayouts.BuddyInfo(allocator));
        Assert.True(allocator.TryAlloc(BuddyAllocator.MaxOrder, out var pfn));
        Assert.Equal(3072UL, pfn);
        allocator.Validate();
    }

    [Fact]
    public void Reserve_SkipsHoles()
    {
        const ulong OneGiB = 1UL << 30 >> 12;
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(2 * OneGiB));

        var reserved = allocator.Reserve(0, OneGiB);

        Assert.Equal(OneGiB - (GuestLayouts.HoleEnd - GuestLayouts.HoleStart), reserved);
        Assert.Equal(OneGiB, allocator.FreeFrames);
        Assert.False(allocator.IsAllocated(GuestLayouts.HoleStart));
        Assert.False(allocator.IsUsable(GuestLayouts.HoleStart));
        Assert.True(allocator.TryAlloc(0, out var pfn));
        Assert.Equal(OneGiB, pfn);
        allocator.Validate();
    }

    [Fact]
    public void Reserve_DoesNotCountAsAllocation()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        allocator.Reserve(0, 100);

        Assert.Equal(0L, allocator.Allocations);
        Assert.Equal(100UL, allocator.AllocatedFrames);
    }

    [Fact]
    public void Reserve_AllocatedFrameThrowsAndChangesNothing()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));
        allocator.Reserve(10, 1);
        var before = GuestLayouts.BuddyInfo(allocator);

        Assert.Throws<InvalidOperationException>(() => allocator.Reserve(0, 20));

        Assert.Equal(before, GuestLayouts.BuddyInfo(allocator));
        Assert.Equal(1023UL, allocator.FreeFrames);
        allocator.Validate();
    }

    [Fact]
    public void Reserve_PastEndThrows()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Reserve(1000, 25));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Reserve(2000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Reserve(1, ulong.MaxValue));
        Assert.Equal(0UL, allocator.Reserve(1024, 0));
    }

    [Fact]
    public void Reserve_ReservedFramesFreeBackToInitialState()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(4096));
        var initial = GuestLayouts.BuddyInfo(allocator);

        allocator.Reserve(100, 3000);
        for (ulong pfn = 100; pfn < 3100; pfn++)
        {
            if (allocator.IsUsable(pfn))
                allocator.Free(pfn, 0);
        }

        Assert.Equal(initial, GuestLayouts.BuddyInfo(allocator));
        allocator.Validate();
    }

    [Fact]
    public void ReserveRandom_ReservesExactFractionOfFreeFrames()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(8192));
        allocator.Reserve(0, 1000);
        var free = allocator.FreeFrames;

        var reserved = allocator.ReserveRandom(0.25, seed: 42);

        Assert.Equal((ulong)Math.Round(free * 0.25), reserved);
        Assert.Equal(free - reserved, allocator.FreeFrames);
        allocator.Validate();
    }

    [Fact]
    public void ReserveRandom_SameSeedSameFrames()
    {
        var a = new BuddyAllocator(GuestLayouts.Flat(8192));
        var b = new BuddyAllocator(GuestLayouts.Flat(8192));
        var c = new BuddyAllocator(GuestLayouts.Flat(8192));

        a.ReserveRandom(0.3, seed: 7);
        b.ReserveRandom(0.3, seed: 7);
        c.ReserveRandom(0.3, seed: 8);

        var differs = false;
        for (ulong pfn = 0; pfn < 8192; pfn++)
        {
            Assert.Equal(a.IsAllocated(pfn), b.IsAllocated(pfn));
            differs |= a.IsAllocated(pfn) != c.IsAllocated(pfn);
        }

        Assert.True(differs);
    }

    [Fact]
    public void ReserveRandom_SpreadsOverAllOfMemory()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(16 * BuddyAllocator.MaxOrderFrames));

        allocator.ReserveRandom(0.25, seed: 1);

        // Each 4 MiB block should hold about 256 pinned frames; a uniform sample lands far inside this.
        for (ulong block = 0; block < 16; block++)
        {
            var pinned = 0;
            for (ulong i = 0; i < BuddyAllocator.MaxOrderFrames; i++)
                pinned += allocator.IsAllocated(block * BuddyAllocator.MaxOrderFrames + i) ? 1 : 0;
            Assert.InRange(pinned, 150, 370);
        }
    }

    [Fact]
    public void ReserveRandom_QuarterOf8GiBGuest()
    {
        const ulong Frames = 8UL << 30 >> 12;
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(Frames));

        var reserved = allocator.ReserveRandom(0.25, seed: 2024);

        Assert.Equal((ulong)Math.Round(allocator.TotalFrames * 0.25), reserved);
        Assert.Equal(allocator.TotalFrames - reserved, allocator.FreeFrames);
        allocator.Validate();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void ReserveRandom_HandlesNoneAndAll(double fraction)
    {
        var allocator = new BuddyAllocator(GuestLayouts.Qemu(2048));

        var reserved = allocator.ReserveRandom(fraction, seed: 3);

        Assert.Equal(fraction == 0 ? 0 : allocator.TotalFrames, reserved);
        allocator.Validate();
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ReserveRandom_FractionOutsideUnitIntervalThrows(double fraction)
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024));

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.ReserveRandom(fraction, seed: 0));
    }
}
