using Ballast.Linux;
using Ballast.Linux.Interop;
using Ballast.Virtio.Memory;
using Ballast.TestKit;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Memory;

/// <summary>Building guest RAM: the QEMU layout, explicit layouts, <see cref="GuestMemory.FromRegions"/> and its clean-up.</summary>
public sealed class GuestMemoryLayoutTests
{
    [Fact]
    public void CreateMemfd_LaysOutQemuLowHole()
    {
        using var memory = GuestMemory.CreateMemfd(4 * MiB);

        Assert.Equal(2, memory.Regions.Count);
        var low = memory.Regions[0];
        var high = memory.Regions[1];
        Assert.Equal((0UL, 0xf0000UL, 0UL), (low.GuestPhysAddr, low.Size, low.FdOffset));
        Assert.Equal((0x100000UL, 4 * MiB - 0x100000, 0x100000UL), (high.GuestPhysAddr, high.Size, high.FdOffset));
        Assert.Equal(GuestMemory.LowHoleStart, low.GuestPhysEnd);
        Assert.Equal(GuestMemory.LowHoleEnd, high.GuestPhysAddr);
        Assert.Equal(4 * MiB - (GuestMemory.LowHoleEnd - GuestMemory.LowHoleStart), memory.RamBytes);
        Assert.Equal(4 * MiB, memory.EndAddress);
        Assert.All(memory.Regions, r => Assert.Equal(ReleaseMethod.PunchHole, r.ReleaseMethod));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x100000UL)]          // nothing above the hole
    [InlineData(0x100000UL + 100)]    // not page sized
    [InlineData(0x200000UL + 4095)]
    public void CreateMemfd_RejectsRamSizeNotAbove1MiBOrNotPageMultiple(ulong ramBytes) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestMemory.CreateMemfd(ramBytes));

    [Fact]
    public void CreateMemfd_RejectsEmptyLayout()
    {
        Assert.Throws<ArgumentException>(() => GuestMemory.CreateMemfd(Array.Empty<(ulong, ulong, ulong)>()));
        Assert.Throws<ArgumentException>(() => GuestMemory.FromRegions(Array.Empty<RegionSpec>()));
    }

    [Fact]
    public void CreateMemfd_MapsRegionsAboveFourGiBAndNearTopOfAddressSpace()
    {
        using var memory = GuestMemory.CreateMemfd(MultiRegion);

        Assert.Equal(5, memory.Regions.Count);
        for (var i = 0; i < MultiRegion.Length; i++)
        {
            Assert.Equal(MultiRegion[i].GuestPhysAddr, memory.Regions[i].GuestPhysAddr);
            Assert.Equal(MultiRegion[i].Size, memory.Regions[i].Size);
            Assert.Equal(MultiRegion[i].FdOffset, memory.Regions[i].FdOffset);
        }
        Assert.Equal(5 * RegionSize, memory.RamBytes);
        Assert.Equal(TopRegion + RegionSize, memory.EndAddress);

        // Every region is real, writable memory: a byte written at each region's last address reads back.
        foreach (var r in memory.Regions)
        {
            memory.GetSpan(r.GuestPhysEnd - 1, 1)[0] = (byte)(r.GuestPhysAddr >> 32 | 1);
            Assert.Equal((byte)(r.GuestPhysAddr >> 32 | 1), memory.GetSpan(r.GuestPhysEnd - 1, 1)[0]);
        }
    }

    [Fact]
    public void CreateMemfd_RegionsAtTheSameFileOffsetShareBytes()
    {
        // Two guest addresses backed by the same file page: what a write through one shows through the other
        // proves both are MAP_SHARED views of the file at FdOffset, not of the guest address.
        using var memory = GuestMemory.CreateMemfd([(0, 64 * KiB, 0), (4 * GiB, 64 * KiB, 0)]);

        memory.GetSpan(0x1234, 4).Fill(0xa5);

        Assert.Equal([0xa5, 0xa5, 0xa5, 0xa5], memory.GetSpan(4 * GiB + 0x1234, 4).ToArray());
    }

    [Fact]
    public void FromRegions_SortsRegionsByGuestAddress()
    {
        var fd = FdProbe.CreateMemfd(3 * Page, out _);
        var fd2 = Libc.dup(fd);
        var fd3 = Libc.dup(fd);

        using var memory = GuestMemory.FromRegions(
        [
            new RegionSpec(fd, 0, 8 * GiB, Page, OwnsFd: true),
            new RegionSpec(fd2, Page, 0, Page, OwnsFd: true),
            new RegionSpec(fd3, 2 * Page, 1 * GiB, Page, OwnsFd: true),
        ]);

        Assert.Equal([0UL, 1 * GiB, 8 * GiB], memory.Regions.Select(r => r.GuestPhysAddr));
        Assert.Equal([fd2, fd3, fd], memory.Regions.Select(r => r.Fd));
    }

    [Fact]
    public void FromRegions_RejectsOverlapAndClosesOwnedFds()
    {
        var fd = FdProbe.CreateMemfd(4 * Page, out var name);
        var fd2 = Libc.dup(fd);
        var fd3 = Libc.dup(fd);

        var e = Assert.Throws<ArgumentException>(() => GuestMemory.FromRegions(
        [
            new RegionSpec(fd, 0, 0, 2 * Page, OwnsFd: true),
            new RegionSpec(fd2, 0, 4 * Page, Page, OwnsFd: true),
            new RegionSpec(fd3, 0, Page, 2 * Page, OwnsFd: true), // [4K, 12K) overlaps [0, 8K)
        ]));

        Assert.Contains("overlap", e.Message, StringComparison.Ordinal);
        Assert.False(FdProbe.IsMemfd(fd, name));
        Assert.False(FdProbe.IsMemfd(fd2, name));
        Assert.False(FdProbe.IsMemfd(fd3, name));
    }

    [Fact]
    public void FromRegions_RejectsOverlapAndLeavesBorrowedFdsOpen()
    {
        var fd = FdProbe.CreateMemfd(4 * Page, out var name);
        try
        {
            Assert.Throws<ArgumentException>(() => GuestMemory.FromRegions(
            [
                new RegionSpec(fd, 0, 0, 2 * Page, OwnsFd: false),
                new RegionSpec(fd, 0, 2 * Page - 1, Page, OwnsFd: false),
            ]));

            Assert.True(FdProbe.IsMemfd(fd, name));
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    [Fact]
    public void FromRegions_UndoesMappingsAndClosesFdsWhenMmapFails()
    {
        var fd = FdProbe.CreateMemfd(4 * Page, out var name);
        var eventFd = Libc.eventfd(0, Libc.EFD_CLOEXEC); // an fd mmap refuses (ENODEV)
        Assert.True(eventFd >= 0);

        var e = Assert.Throws<SyscallException>(() => GuestMemory.FromRegions(
        [
            new RegionSpec(fd, 0, 0, 4 * Page, OwnsFd: true),
            new RegionSpec(eventFd, 0, 1 * MiB, Page, OwnsFd: true),
        ]));

        Assert.Equal("mmap", e.Call);
        Assert.False(FdProbe.IsMemfd(fd, name)); // the mapping made before the failure is undone and its fd closed
    }

    [Theory]
    [InlineData(0UL, 0UL)]               // empty
    [InlineData(0UL, 100UL)]             // not page sized
    [InlineData(0x800UL, 4096UL)]        // guest address not page aligned
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 4096UL)] // would end exactly at 2^64: GuestPhysEnd wraps to 0
    [InlineData(0xFFFF_FFFF_FFFF_0000UL, 0x20000UL)] // wraps the 64-bit space
    public void FromRegions_RejectsBadRegionAndClosesItsFd(ulong gpa, ulong size)
    {
        var fd = FdProbe.CreateMemfd(64 * KiB, out var name);

        Assert.Throws<ArgumentException>(() => GuestMemory.FromRegions([new RegionSpec(fd, 0, gpa, size, OwnsFd: true)]));

        Assert.False(FdProbe.IsMemfd(fd, name));
    }

    [Fact]
    public void FromRegions_MapsFdOffsetThatIsNotPageAligned()
    {
        // vhost-user's mmap_offset need not be page aligned; the region still starts at exactly that file byte.
        var fd = FdProbe.CreateMemfd(4 * Page, out _);
        var fd2 = Libc.dup(fd);
        using var memory = GuestMemory.FromRegions(
        [
            new RegionSpec(fd, 0, 0, 4 * Page, OwnsFd: true),
            new RegionSpec(fd2, 0x800, 1 * GiB, 2 * Page, OwnsFd: true),
        ]);
        memory.GetSpan(0x800, 8).Fill(0x5a);
        memory.GetSpan(0x7ff, 1)[0] = 0x11;

        Assert.Equal(0x800UL, memory.Regions[1].FdOffset);
        Assert.Equal([0x5a, 0x5a], memory.GetSpan(1 * GiB, 2).ToArray());
        memory.GetSpan(1 * GiB + 2 * Page - 1, 1)[0] = 0x77; // the region's last byte is mapped
        Assert.Equal(0x77, memory.GetSpan(0x800 + 2 * Page - 1, 1)[0]);
    }

    [Fact]
    public void CreateMemfd_OverlappingLayoutThrowsAndLeavesNoFdOpen()
    {
        var name = $"ballast-test-{Guid.NewGuid():N}";
        var before = OpenMemfds(name);

        Assert.Throws<ArgumentException>(() => GuestMemory.CreateMemfd([(0, 2 * Page, 0), (Page, Page, 0)], name));

        Assert.Equal(0, before);
        Assert.Equal(0, OpenMemfds(name));
    }

    [Fact]
    public void Dispose_ClosesOwnedFdsAndIsIdempotent()
    {
        var name = $"ballast-test-{Guid.NewGuid():N}";
        var memory = GuestMemory.CreateMemfd(MultiRegion, name);
        var fds = memory.Regions.Select(r => r.Fd).ToArray();
        Assert.All(fds, fd => Assert.True(FdProbe.IsMemfd(fd, name)));
        Assert.Equal(fds.Length, OpenMemfds(name));

        memory.Dispose();
        memory.Dispose();

        Assert.Equal(0, OpenMemfds(name));
    }

    private static int OpenMemfds(string name) =>
        Directory.GetFiles("/proc/self/fd").Count(p => int.TryParse(Path.GetFileName(p), out var fd) && FdProbe.IsMemfd(fd, name));
}
