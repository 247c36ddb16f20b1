using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/mman.h: mmap(2), madvise(2)
internal static unsafe partial class Libc
{
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_NORESERVE = 0x4000;
    public static readonly nint MAP_FAILED = -1;

    public const int MADV_DONTNEED = 4;
    public const int MADV_REMOVE = 9;
    public const int MADV_HUGEPAGE = 14;
    public const int MADV_POPULATE_WRITE = 23;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int madvise(nint addr, nuint length, int advice);
}
