using System.Runtime.InteropServices;

namespace Ballast.VhostUser.Interop;

/// <summary>
/// sys/stat.h, read through a raw buffer: only st_mode and st_size are needed, at their x86_64 offsets
/// (the generic layout of aarch64 differs: there st_mode is at 16).
/// </summary>
internal static unsafe partial class Libc
{
    /// <summary>A buffer larger than struct stat (144 bytes on x86_64).</summary>
    public const int StatBufferSize = 256;

    /// <summary>offsetof(struct stat, st_mode) on x86_64 (u32).</summary>
    public const int StatModeOffset = 24;

    /// <summary>offsetof(struct stat, st_size) on x86_64 (i64).</summary>
    public const int StatSizeOffset = 48;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;
    public const uint S_IFREG = 0x8000;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fstat(int fd, byte* statbuf);

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lstat(string path, byte* statbuf);
}
