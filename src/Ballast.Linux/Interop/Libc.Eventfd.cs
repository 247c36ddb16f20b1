using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/eventfd.h
internal static unsafe partial class Libc
{
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);
}
