using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// A memfd (memfd_create(2)) mapped MAP_SHARED read-write: memory that outlives the process writing it for as long
/// as another process holds the descriptor (the supervisor of <c>ballast serve</c>, issue #12). A store through
/// <see cref="Pointer"/> is a store into the file's own pages: it is there the instant it executes, is seen through
/// every other mapping of the file, and survives a SIGKILL of the writer (there is no write-back and no msync: a
/// memfd has no disk behind it). Pages are allocated only when first touched, so a large, mostly unused file costs
/// little.
/// </summary>
/// <remarks>
/// Not thread-safe: one owner writes, grows and disposes it. <see cref="Grow"/> moves the mapping, so a pointer or
/// span taken before it is invalid after it. Another instance on another descriptor of the same file sees the same
/// bytes, but only as many as it mapped. Files made by <see cref="Create"/> are sealed against shrinking
/// (F_SEAL_SHRINK), so no mapping of them can ever lose a page under it (SIGBUS).
/// </remarks>
public sealed unsafe class SharedMemoryFile : IDisposable
{
    private readonly int _fd;
    private nint _pointer;
    private long _length;
    private bool _disposed;

    private SharedMemoryFile(int fd, nint pointer, long length)
    {
        _fd = fd;
        _pointer = pointer;
        _length = length;
    }

    /// <summary>
    /// Creates a memfd called <paramref name="name"/> (MFD_CLOEXEC; "memfd:<paramref name="name"/>" in
    /// /proc/PID/fd) of <paramref name="bytes"/> zero bytes, sealed against shrinking, and maps it.
    /// </summary>
    /// <exception cref="SyscallException">memfd_create, ftruncate, fcntl(F_ADD_SEALS) or mmap failed.</exception>
    public static SharedMemoryFile Create(string name, long bytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var fd = Libc.memfd_create(name, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        if (fd < 0)
            throw SyscallException.FromLastError("memfd_create");
        try
        {
            if (Libc.ftruncate(fd, bytes) != 0)
                throw SyscallException.FromLastError("ftruncate");
            if (Libc.fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK) != 0)
                throw SyscallException.FromLastError("fcntl(F_ADD_SEALS)");
            return new SharedMemoryFile(fd, Map(fd, bytes), bytes);
        }
        catch
        {
            _ = Libc.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Maps the whole of an existing file (a memfd received from the supervisor, or a dup of one). Takes ownership of
    /// <paramref name="fd"/> at once: it is closed by <see cref="Dispose"/>, or here if opening fails. The length is
    /// the file's size (fstat st_size).
    /// </summary>
    /// <exception cref="InvalidDataException"><paramref name="fd"/> is not a regular file (a socket, pipe, device,
    /// …) or is empty.</exception>
    /// <exception cref="SyscallException">fstat or mmap failed (EACCES for a descriptor not open read-write).</exception>
    public static SharedMemoryFile Open(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        try
        {
            var (mode, size) = Stat(fd);
            if ((mode & Libc.S_IFMT) != Libc.S_IFREG)
            {
                var what = (mode & Libc.S_IFMT) == Libc.S_IFSOCK ? "a socket" : $"file type 0x{mode & Libc.S_IFMT:x}";
                throw new InvalidDataException($"fd {fd} is not a regular file ({what}): shared memory must be a memfd");
            }
            if (size <= 0)
                throw new InvalidDataException($"fd {fd} is an empty file: there is no shared memory to map");
            return new SharedMemoryFile(fd, Map(fd, size), size);
        }
        catch
        {
            _ = Libc.close(fd);
            throw;
        }
    }

    /// <summary>The file descriptor (owned: closed by <see cref="Dispose"/>); hand a dup of it to another process.</summary>
    public int Fd
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _fd;
        }
    }

    /// <summary>The first byte of the mapping; moves on <see cref="Grow"/>.</summary>
    public nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _pointer;
        }
    }

    /// <summary>Bytes mapped: the file's size when mapped, or as grown.</summary>
    public long Length => _length;

    /// <summary>The <paramref name="length"/> bytes at <paramref name="offset"/>; valid until <see cref="Grow"/> or <see cref="Dispose"/>.</summary>
    public Span<byte> GetSpan(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > _length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{offset}+{length} lies beyond the {_length} bytes mapped");
        return new Span<byte>((void*)(_pointer + (nint)offset), length);
    }

    /// <summary>
    /// Makes the file at least <paramref name="bytes"/> long (ftruncate; never shrinks it) and maps it anew; bytes
    /// already there keep their contents, new ones read zero. Does nothing if the mapping is already that long. The
    /// new mapping is made before the old one goes, so a failure leaves this instance as it was.
    /// </summary>
    /// <exception cref="SyscallException">fstat, ftruncate or mmap failed.</exception>
    public void Grow(long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (bytes <= _length)
            return;
        // Another instance on this file may have grown it further already: ftruncate must never make it shorter.
        if (Stat(_fd).Size < bytes && Libc.ftruncate(_fd, bytes) != 0)
            throw SyscallException.FromLastError("ftruncate");
        var pointer = Map(_fd, bytes);
        _ = Libc.munmap(_pointer, (nuint)_length);
        _pointer = pointer;
        _length = bytes;
    }

    /// <summary>
    /// Zeroes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) and gives the memory
    /// of its whole pages back (fallocate PUNCH_HOLE, which zeroes partial pages at the edges itself). Where the file
    /// cannot punch holes, or the call fails, the bytes are cleared with stores instead: they read zero either way.
    /// </summary>
    public void Zero(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > _length - length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"{offset}+{length} lies beyond the {_length} bytes mapped");
        if (length == 0)
            return;
        if (Libc.fallocate(_fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length) != 0)
            NativeMemory.Clear((void*)(_pointer + (nint)offset), (nuint)length);
    }

    /// <summary>
    /// The first offset at or after <paramref name="offset"/> whose page the file holds (lseek SEEK_DATA), or
    /// <see cref="Length"/> if none: the pages before it were never written (or were given back by <see cref="Zero"/>)
    /// and read zero. Reading them through the mapping would make the file allocate them; a reader that skips them
    /// keeps the file sparse. Where the file cannot tell, every offset counts as held. (lseek moves the file offset the
    /// descriptor shares with its dups; nothing that maps a file uses it.)
    /// </summary>
    public long NextData(long offset) => Seek(offset, Libc.SEEK_DATA);

    /// <summary>
    /// The first offset at or after <paramref name="offset"/> that lies in a page the file does not hold (lseek
    /// SEEK_HOLE), or <see cref="Length"/> if there is none before it.
    /// </summary>
    public long NextHole(long offset) => Seek(offset, Libc.SEEK_HOLE);

    /// <summary>Unmaps the file and closes the descriptor. The file lives on while another process holds it.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _ = Libc.munmap(_pointer, (nuint)_length);
        _ = Libc.close(_fd);
    }

    private long Seek(long offset, int whence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= _length)
            return _length;
        var found = Libc.lseek(_fd, offset, whence);
        if (found >= 0)
            return Math.Min(found, _length);
        // ENXIO: no data at or after offset. Anything else: the file cannot say, so take every page as data.
        if (Marshal.GetLastPInvokeError() == Libc.ENXIO)
            return whence == Libc.SEEK_DATA ? _length : offset;
        return whence == Libc.SEEK_DATA ? offset : _length;
    }

    private static nint Map(int fd, long bytes)
    {
        var pointer = Libc.mmap(0, (nuint)bytes, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (pointer == Libc.MAP_FAILED)
            throw SyscallException.FromLastError("mmap");
        return pointer;
    }

    private static (uint Mode, long Size) Stat(int fd)
    {
        var buf = stackalloc byte[Libc.StatBufferSize];
        if (Libc.fstat(fd, buf) != 0)
            throw SyscallException.FromLastError("fstat");
        return (*(uint*)(buf + Libc.StatModeOffset), *(long*)(buf + Libc.StatSizeOffset));
    }
}
