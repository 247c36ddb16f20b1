using System.Runtime.InteropServices;

namespace Ballast.Virtio.Interop;

/// <summary>
/// The few libc calls Ballast needs, with their C names kept verbatim (this folder only).
/// Linux x86_64/aarch64 values; every call sets errno, read with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibC = "libc";

    // memfd_create(2)
    public const uint MFD_CLOEXEC = 0x0001;
    public const uint MFD_ALLOW_SEALING = 0x0002;

    // fcntl(2) file seals (memfd_create(2) "File sealing"): a sealed property of the file can never change again.
    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 0x0001;
    public const int F_SEAL_SHRINK = 0x0002;
    public const int F_SEAL_GROW = 0x0004;

    // mmap(2)
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_NORESERVE = 0x4000;
    public static readonly nint MAP_FAILED = -1;

    // fallocate(2): punch a hole, keep the file size (the memfd must stay as large as guest RAM).
    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;

    // madvise(2)
    public const int MADV_REMOVE = 9;
    public const int MADV_POPULATE_WRITE = 23;

    // eventfd(2)
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // poll(2)
    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLNVAL = 0x020;

    // preadv2(2): fail with EAGAIN instead of waiting, whatever the descriptor's O_NONBLOCK says.
    public const int RWF_NOWAIT = 0x08;

    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;

    /// <summary>struct iovec (sys/uio.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    /// <summary>fcntl(2) with an int argument (F_ADD_SEALS, F_GET_SEALS).</summary>
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fallocate(int fd, int mode, long offset, long len);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int madvise(nint addr, nuint length, int advice);

    /// <summary>fstat(2) into a raw buffer: the struct stat layout differs per ABI, see <see cref="StatBlocksOffset"/>.</summary>
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fstat(int fd, byte* statbuf);

    /// <summary>Size of struct stat we hand to fstat (x86_64: 144, aarch64: 128; we pass the larger).</summary>
    public const int StatBufferSize = 256;

    /// <summary>Offset of st_dev, st_ino and st_blocks in struct stat; the same on x86_64 and aarch64 (generic) Linux.</summary>
    public const int StatDevOffset = 0;
    public const int StatInoOffset = 8;
    public const int StatBlocksOffset = 64;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    /// <summary>preadv2(2); offset -1 reads at the current position (the only choice for an eventfd).</summary>
    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint preadv2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int dup(int fd);
}
