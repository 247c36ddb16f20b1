using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// unistd.h
internal static unsafe partial class Libc
{
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint pwrite(int fd, void* buf, nuint count, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint pread(int fd, void* buf, nuint count, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int dup(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int pipe2(int* pipefd, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    // lseek(2) whence values for sparse files: the next offset with data, the next hole (ENXIO past the last data).
    public const int SEEK_DATA = 3;
    public const int SEEK_HOLE = 4;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial long lseek(int fd, long offset, int whence);

    [LibraryImport(LibC)]
    public static partial uint geteuid();

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getpgid(int pid);

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string pathname, uint owner, uint group);
}
