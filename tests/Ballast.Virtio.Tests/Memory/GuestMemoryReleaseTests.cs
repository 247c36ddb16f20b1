using Ballast.Virtio.Memory;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Memory;

/// <summary>
/// <see cref="GuestMemory.Release(in HostRange)"/> really gives pages back: the file's st_blocks
/// (<see cref="GuestMemory.AllocatedBytes"/>) drops by exactly the released bytes, released pages read zero
/// through every mapping and every other page keeps its contents.
/// </summary>
public sealed class GuestMemoryReleaseTests
{
    [Fact]
    public void Release_FreesExactlyTheReleasedPagesAndZeroesThem()
    {
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        const ulong start = 2 * MiB;
        const int pages = 64;
        var empty = memory.AllocatedBytes();
        FillPages(memory, start, pages);
        var filled = memory.AllocatedBytes();
        Assert.Equal(empty + pages * (long)Page, filled);

        ReleaseRange(memory, start + 16 * Page, 16 * Page);

        Assert.Equal(filled - 16 * (long)Page, memory.AllocatedBytes());
        AssertPages(memory, start, pages, released: i => i is >= 16 and < 32);
    }

    [Fact]
    public void Release_AcrossTwoRegionsOfOneMemfdCountsTheFileOnce()
    {
        // Two adjacent regions on two descriptors of one memfd (as QEMU sends them): st_blocks is per file.
        using var memory = GuestMemory.CreateMemfd([(0, 1 * MiB, 0), (1 * MiB, 1 * MiB, 1 * MiB)]);
        Assert.NotEqual(memory.Regions[0].Fd, memory.Regions[1].Fd);
        const ulong start = 1 * MiB - 16 * Page;
        FillPages(memory, start, 32);
        Assert.Equal(32 * (long)Page, memory.AllocatedBytes());

        var pieces = ReleaseRange(memory, start + 8 * Page, 16 * Page);

        Assert.Equal(2, pieces);
        Assert.Equal(16 * (long)Page, memory.AllocatedBytes());
        AssertPages(memory, start, 32, released: i => i is >= 8 and < 24);
    }

    [Fact]
    public void Release_PunchesTheFileAtFdOffsetNotAtGuestAddress()
    {
        // Region at 5 GiB lives at file offset 0, region at 0 at file offset 1 MiB.
        using var memory = GuestMemory.CreateMemfd([(0, 1 * MiB, 1 * MiB), (5 * GiB, 1 * MiB, 0)]);
        FillPages(memory, 0, 8);
        FillPages(memory, 5 * GiB, 8);
        Assert.Equal(16 * (long)Page, memory.AllocatedBytes());

        ReleaseRange(memory, 5 * GiB + 2 * Page, 4 * Page);

        Assert.Equal(12 * (long)Page, memory.AllocatedBytes());
        AssertPages(memory, 5 * GiB, 8, released: i => i is >= 2 and < 6);
        AssertPages(memory, 0, 8, released: _ => false);
    }

    [Fact]
    public void Release_IsSeenThroughEveryMappingOfTheFile()
    {
        // Punch-hole frees the file's pages, so every process mapping the file (QEMU, the guest) reads zeros;
        // modelled here by a second region aliasing the same file offset.
        using var memory = GuestMemory.CreateMemfd([(0, 64 * KiB, 0), (4 * GiB, 64 * KiB, 0)]);
        FillPages(memory, 0, 4);

        ReleaseRange(memory, 4 * GiB + Page, Page);

        Assert.Equal(3 * (long)Page, memory.AllocatedBytes());
        AssertPages(memory, 0, 4, released: i => i == 1);
    }

    [Fact]
    public void AllocatedBytes_GrowsAgainWhenAReleasedPageIsReadThroughAMapping()
    {
        // A trap for whoever verifies a release: a read fault on a hole of a shared shmem mapping allocates a
        // page (unlike read(2) or private anonymous memory). Check st_blocks before looking at the bytes.
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        FillPages(memory, 2 * MiB, 4);
        ReleaseRange(memory, 2 * MiB, 4 * Page);
        Assert.Equal(0, memory.AllocatedBytes());

        AssertPages(memory, 2 * MiB, 4, released: _ => true);

        Assert.Equal(4 * (long)Page, memory.AllocatedBytes());
    }

    [Fact]
    public void Release_OfNeverTouchedPagesChangesNothing()
    {
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        FillPages(memory, 2 * MiB, 2);

        ReleaseRange(memory, 3 * MiB, 64 * Page);

        Assert.Equal(2 * (long)Page, memory.AllocatedBytes());
        AssertPages(memory, 2 * MiB, 2, released: _ => false);
    }

    [Fact]
    public void Release_PagesCanBeReusedAfterwards()
    {
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        FillPages(memory, 2 * MiB, 4);
        ReleaseRange(memory, 2 * MiB, 4 * Page);
        Assert.Equal(0, memory.AllocatedBytes());

        FillPages(memory, 2 * MiB, 4);

        Assert.Equal(4 * (long)Page, memory.AllocatedBytes());
        AssertPages(memory, 2 * MiB, 4, released: _ => false);
    }

    [Fact]
    public void Release_RejectsEmptyOrUnalignedRange()
    {
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        var r = memory.Regions[1];
        var host = r.HostAddress + (nint)(2 * MiB - r.GuestPhysAddr);

        Assert.Throws<ArgumentException>(() => memory.Release(new HostRange(r, 2 * MiB, host, 2 * MiB, 0)));
        Assert.Throws<ArgumentException>(() => memory.Release(new HostRange(r, 2 * MiB, host, 2 * MiB, 100)));
        Assert.Throws<ArgumentException>(() => memory.Release(new HostRange(r, 2 * MiB + 0x800, host + 0x800, 2 * MiB + 0x800, Page)));
        Assert.Equal(ReleaseMethod.PunchHole, r.ReleaseMethod);
    }

    /// <summary>Writes a distinct non-zero pattern into each of <paramref name="pages"/> pages from <paramref name="gpa"/>.</summary>
    internal static void FillPages(GuestMemory memory, ulong gpa, int pages)
    {
        for (var i = 0; i < pages; i++)
            memory.GetSpan(gpa + (ulong)i * Page, (int)Page).Fill(Pattern(gpa, i));
    }

    /// <summary>Checks every page: zero where <paramref name="released"/>, its pattern elsewhere.</summary>
    internal static void AssertPages(GuestMemory memory, ulong gpa, int pages, Func<int, bool> released)
    {
        for (var i = 0; i < pages; i++)
        {
            var page = memory.GetSpan(gpa + (ulong)i * Page, (int)Page);
            var expected = released(i) ? (byte)0 : Pattern(gpa, i);
            var bad = page.IndexOfAnyExcept(expected);
            Assert.True(bad < 0, $"page {i} at 0x{gpa + (ulong)i * Page:x}: byte {bad} is 0x{(bad < 0 ? 0 : page[bad]):x2}, expected 0x{expected:x2}");
        }
    }

    /// <summary>Translates [gpa, gpa + length) and releases every piece; returns the number of pieces.</summary>
    internal static int ReleaseRange(GuestMemory memory, ulong gpa, ulong length)
    {
        var pieces = new HostRange[memory.Regions.Count];
        var n = memory.Translate(gpa, length, pieces);
        Assert.True(n > 0, $"0x{gpa:x}+0x{length:x} is not RAM");
        for (var i = 0; i < n; i++)
            memory.Release(pieces[i]);
        return n;
    }

    private static byte Pattern(ulong gpa, int page) => (byte)(((gpa >> 12) + (ulong)page) % 251 + 1);
}
