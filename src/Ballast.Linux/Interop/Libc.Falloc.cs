using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// linux/falloc.h, fallocate(2): punch a hole and keep the file size (a guest RAM file must stay as large as guest RAM).
internal static unsafe partial class Libc
{
    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fallocate(int fd, int mode, long offset, long len);
}
