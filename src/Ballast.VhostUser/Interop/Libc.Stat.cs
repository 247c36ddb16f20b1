using System.Runtime.InteropServices;

namespace Ballast.VhostUser.Interop;

/// <summary>
/// sys/stat.h. fstat reads through a raw buffer: only st_mode and st_size are needed, at their x86_64 offsets
/// (the generic layout of aarch64 differs: there st_mode is at 16). statx(2), for paths, has one layout everywhere.
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

    // fcntl.h, for statx
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    // statx(2) mask bits
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_MODE = 0x2;
    public const uint STATX_UID = 0x8;
    public const uint STATX_GID = 0x10;

    /// <summary>
    /// The head of <c>struct statx</c> (linux/stat.h), whose layout is the same on every architecture; "_t" because
    /// the function has the struct's name:
    /// <code>
    ///  0        4          8                16        20      24      28       30
    ///  +--------+----------+----------------+---------+-------+-------+--------+--
    ///  | mask   | blksize  | attributes     | nlink   | uid   | gid   | mode   | … (256 bytes in all)
    ///  +--------+----------+----------------+---------+-------+-------+--------+--
    /// </code>
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct statx_t
    {
        [FieldOffset(0)] public uint stx_mask;
        [FieldOffset(20)] public uint stx_uid;
        [FieldOffset(24)] public uint stx_gid;
        [FieldOffset(28)] public ushort stx_mode;
    }

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string pathname, int flags, uint mask, out statx_t statxbuf);
}
