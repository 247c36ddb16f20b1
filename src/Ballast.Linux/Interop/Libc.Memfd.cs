using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/mman.h, memfd_create(2)
internal static unsafe partial class Libc
{
    public const uint MFD_CLOEXEC = 0x0001;
    public const uint MFD_ALLOW_SEALING = 0x0002;
    public const uint MFD_HUGETLB = 0x0004;
    /// <summary>MFD_HUGE_2MB: log2(2 MiB) = 21 in the bits above MFD_HUGE_SHIFT (26).</summary>
    public const uint MFD_HUGE_2MB = 21u << 26;

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);
}
