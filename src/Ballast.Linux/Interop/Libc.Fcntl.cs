using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// fcntl.h
internal static unsafe partial class Libc
{
    public const int O_RDONLY = 0;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int FD_CLOEXEC = 1;

    // File seals (memfd_create(2) "File sealing"): seals can be added, never removed; a sealed property never changes again.
    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 0x0001;
    public const int F_SEAL_SHRINK = 0x0002;
    public const int F_SEAL_GROW = 0x0004;

    // For the *at() calls (statx).
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open_mode(string path, int flags, int mode);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    // sys/file.h: flock(2)
    public const int LOCK_EX = 2;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int flock(int fd, int operation);
}
