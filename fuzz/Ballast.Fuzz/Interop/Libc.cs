using System.Runtime.InteropServices;

namespace Ballast.Fuzz.Interop;

/// <summary>
/// The system calls the harnesses need to build their descriptor pools and guest RAM (x86-64 Linux, glibc).
/// C names verbatim, as in the other Interop folders.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibName = "libc";

    public const uint MFD_CLOEXEC = 0x0001, MFD_ALLOW_SEALING = 0x0002;
    public const int F_DUPFD_CLOEXEC = 1030, F_ADD_SEALS = 1033;
    public const int F_SEAL_SEAL = 0x0001, F_SEAL_SHRINK = 0x0002, F_SEAL_GROW = 0x0004;
    public const int O_RDONLY = 0, O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800;
    public const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000, SOCK_NONBLOCK = 0x800;
    public const int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public const int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;
    public const int EINTR = 4, EAGAIN = 11;

    /// <summary>struct stat on x86-64: st_dev at 0, st_ino at 8, st_mode (u32) at 24, st_size at 48; 144 bytes.</summary>
    public const int StatBufferSize = 256, StatDevOffset = 0, StatInoOffset = 8, StatModeOffset = 24, StatSizeOffset = 48;

    [LibraryImport(LibName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport(LibName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int pipe2(int* pipefd, int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint pwrite(int fd, void* buf, nuint count, long offset);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint recv(int fd, void* buf, nuint len, int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint send(int fd, void* buf, nuint len, int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int fallocate(int fd, int mode, long offset, long len);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int fstat(int fd, byte* statbuf);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int close(int fd);
}
