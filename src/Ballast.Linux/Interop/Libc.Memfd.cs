using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/mman.h, memfd_create(2)
internal static unsafe partial class Libc
{
    public const uint MFD_CLOEXEC = 0x0001;
    public const uint MFD_ALLOW_SEALING = 0x0002;

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);
}
