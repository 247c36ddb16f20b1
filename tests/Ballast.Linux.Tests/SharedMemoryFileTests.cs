using Ballast.Linux.Interop;
using Ballast.TestKit;

namespace Ballast.Linux.Tests;

/// <summary>
/// <see cref="SharedMemoryFile"/>: a memfd mapped MAP_SHARED. What one mapping writes, every mapping of the file reads,
/// also once the writer is gone; growing keeps the contents; only regular, non-empty files are opened.
/// </summary>
public sealed unsafe class SharedMemoryFileTests
{
    private const int Page = 4096;

    [Fact]
    public void Create_IsZeroedMemfdOfTheLength()
    {
        var name = UniqueName();
        using var file = SharedMemoryFile.Create(name, 3 * Page + 100);

        Assert.Equal(3 * Page + 100, file.Length);
        Assert.True(FdProbe.IsMemfd(file.Fd, name));
        Assert.True(file.GetSpan(0, (int)file.Length).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(Libc.FD_CLOEXEC, Libc.fcntl(file.Fd, Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
    }

    [Fact]
    public void Create_SealsAgainstShrinking()
    {
        using var file = SharedMemoryFile.Create(UniqueName(), 2 * Page);

        // A mapping never loses a page under it (SIGBUS): ftruncate to less is refused.
        Assert.NotEqual(0, Libc.fcntl(file.Fd, Libc.F_GET_SEALS, 0) & Libc.F_SEAL_SHRINK);
        Assert.NotEqual(0, Libc.ftruncate(file.Fd, Page));
    }

    [Fact]
    public void Writes_AreSeenThroughASecondInstanceOnADup()
    {
        using var first = SharedMemoryFile.Create(UniqueName(), 2 * Page);
        using var second = SharedMemoryFile.Open(FdProbe.Dup(first.Fd));

        first.GetSpan(Page - 2, 4).Fill(0xA5);
        second.GetSpan(10, 1)[0] = 0x5A;

        Assert.Equal(2 * Page, second.Length);
        Assert.Equal([0xA5, 0xA5, 0xA5, 0xA5], second.GetSpan(Page - 2, 4).ToArray());
        Assert.Equal(0x5A, first.GetSpan(10, 1)[0]);
        Assert.NotEqual(first.Fd, second.Fd);
        Assert.NotEqual(first.Pointer, second.Pointer);
    }

    [Fact]
    public void Writes_OutliveTheWriter()
    {
        // The supervisor keeps a descriptor; the worker that wrote through its mapping is gone.
        var writer = SharedMemoryFile.Create(UniqueName(), Page);
        var held = FdProbe.Dup(writer.Fd);
        writer.GetSpan(100, 3).Fill(7);
        writer.Dispose();

        using var reader = SharedMemoryFile.Open(held);

        Assert.Equal([7, 7, 7], reader.GetSpan(100, 3).ToArray());
    }

    [Fact]
    public void Grow_KeepsContentsAndNewBytesReadZero()
    {
        using var file = SharedMemoryFile.Create(UniqueName(), Page);
        file.GetSpan(0, Page).Fill(0x11);

        file.Grow(5 * Page);

        Assert.Equal(5 * Page, file.Length);
        Assert.True(file.GetSpan(0, Page).IndexOfAnyExcept((byte)0x11) < 0);
        Assert.True(file.GetSpan(Page, 4 * Page).IndexOfAnyExcept((byte)0) < 0);
        file.GetSpan(5 * Page - 1, 1)[0] = 0x22;
        using var other = SharedMemoryFile.Open(FdProbe.Dup(file.Fd));
        Assert.Equal(5 * Page, other.Length);
        Assert.Equal(0x22, other.GetSpan(5 * Page - 1, 1)[0]);
        Assert.Equal(0x11, other.GetSpan(Page - 1, 1)[0]);
    }

    [Fact]
    public void Grow_NeverShrinks()
    {
        using var file = SharedMemoryFile.Create(UniqueName(), 4 * Page);
        var pointer = file.Pointer;

        file.Grow(Page);

        Assert.Equal(4 * Page, file.Length);
        Assert.Equal(pointer, file.Pointer);
    }

    [Fact]
    public void Grow_AfterAnotherInstanceGrewFurther_DoesNotCutTheFile()
    {
        using var first = SharedMemoryFile.Create(UniqueName(), Page);
        using var second = SharedMemoryFile.Open(FdProbe.Dup(first.Fd));
        second.Grow(8 * Page);
        second.GetSpan(8 * Page - 1, 1)[0] = 9;

        first.Grow(2 * Page);

        Assert.Equal(8 * Page, FileSize(first.Fd));
        Assert.Equal(9, second.GetSpan(8 * Page - 1, 1)[0]);
    }

    [Fact]
    public void Zero_ClearsTheRangeAndGivesWholePagesBack()
    {
        using var file = SharedMemoryFile.Create(UniqueName(), 4 * Page);
        file.GetSpan(0, 4 * Page).Fill(0xFF);
        Assert.Equal(4 * Page, AllocatedBytes(file.Fd));

        file.Zero(100, 3 * Page);   // part of page 0, pages 1 and 2, part of page 3

        // Before reading: a read fault on a hole of a memfd allocates the page again.
        Assert.Equal(2 * Page, AllocatedBytes(file.Fd));
        Assert.Equal(Page, file.NextHole(0));
        Assert.Equal(3 * Page, file.NextData(Page));
        Assert.True(file.GetSpan(0, 100).IndexOfAnyExcept((byte)0xFF) < 0);
        Assert.True(file.GetSpan(100, 3 * Page).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(file.GetSpan(3 * Page + 100, Page - 100).IndexOfAnyExcept((byte)0xFF) < 0);
    }

    [Fact]
    public void NextDataAndNextHole_FindTheWrittenPages()
    {
        using var file = SharedMemoryFile.Create(UniqueName(), 8 * Page);
        file.GetSpan(2 * Page + 7, 1)[0] = 1;
        file.GetSpan(3 * Page, 1)[0] = 1;
        file.GetSpan(6 * Page, 1)[0] = 1;

        Assert.Equal(2 * Page, file.NextData(0));
        Assert.Equal(2 * Page + 9, file.NextData(2 * Page + 9));
        Assert.Equal(4 * Page, file.NextHole(2 * Page));
        Assert.Equal(6 * Page, file.NextData(4 * Page));
        Assert.Equal(7 * Page, file.NextHole(6 * Page));
        Assert.Equal(8 * Page, file.NextData(7 * Page));
        Assert.Equal(8 * Page, file.NextData(9 * Page));
        Assert.Equal(0, AllocatedBytes(file.Fd) - 3 * Page);
    }

    [Fact]
    public void Open_RefusesWhatIsNotARegularFile()
    {
        using var eventFd = new EventFd();

        var e = Assert.Throws<InvalidDataException>(() => SharedMemoryFile.Open(FdProbe.Dup(eventFd.Fd)));

        Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesAnEmptyFileAndClosesIt()
    {
        var fd = FdProbe.CreateMemfd(0, out var name);

        var e = Assert.Throws<InvalidDataException>(() => SharedMemoryFile.Open(fd));

        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
        Assert.False(FdProbe.IsMemfd(fd, name));
    }

    [Fact]
    public void Dispose_ClosesTheDescriptor()
    {
        var name = UniqueName();
        var file = SharedMemoryFile.Create(name, Page);
        var fd = file.Fd;

        file.Dispose();
        file.Dispose();

        Assert.False(FdProbe.IsMemfd(fd, name));
        Assert.Throws<ObjectDisposedException>(() => file.Pointer);
    }

    private static string UniqueName() => $"ballast-test-{Guid.NewGuid():N}";

    private static long FileSize(int fd)
    {
        var buf = stackalloc byte[Libc.StatBufferSize];
        Assert.Equal(0, Libc.fstat(fd, buf));
        return *(long*)(buf + Libc.StatSizeOffset);
    }

    private static long AllocatedBytes(int fd)
    {
        var buf = stackalloc byte[Libc.StatBufferSize];
        Assert.Equal(0, Libc.fstat(fd, buf));
        return *(long*)(buf + Libc.StatBlocksOffset) * 512;
    }
}
