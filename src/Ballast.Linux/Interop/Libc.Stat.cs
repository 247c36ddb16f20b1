#pragma warning disable CS8981 // C struct names are kept verbatim in Interop

using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/stat.h, linux/stat.h. fstat reads through a raw buffer at x86_64 offsets (aarch64's generic layout differs:
// there st_mode is at 16); statx(2), for paths, has one layout everywhere. Callers use FileStatus, not these.
internal static unsafe partial class Libc
{
    /// <summary>A buffer larger than struct stat (144 bytes on x86_64).</summary>
    public const int StatBufferSize = 256;

    /// <summary>offsetof(struct stat, st_dev) on x86_64 (u64).</summary>
    public const int StatDevOffset = 0;

    /// <summary>offsetof(struct stat, st_ino) on x86_64 (u64).</summary>
    public const int StatInoOffset = 8;

    /// <summary>offsetof(struct stat, st_mode) on x86_64 (u32).</summary>
    public const int StatModeOffset = 24;

    /// <summary>offsetof(struct stat, st_size) on x86_64 (i64).</summary>
    public const int StatSizeOffset = 48;

    /// <summary>offsetof(struct stat, st_blocks) on x86_64 (i64, 512-byte units allocated).</summary>
    public const int StatBlocksOffset = 64;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;
    public const uint S_IFREG = 0x8000;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fstat(int fd, byte* statbuf);

    // statx(2) mask bits
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_MODE = 0x2;
    public const uint STATX_UID = 0x8;
    public const uint STATX_GID = 0x10;
    public const uint STATX_INO = 0x100;
    public const uint STATX_SIZE = 0x200;
    public const uint STATX_BLOCKS = 0x400;

    /// <summary>
    /// The head of <c>struct statx</c> (linux/stat.h), the same on every architecture; "_t" because the function
    /// has the struct's name:
    /// <code>
    ///  0      4         8            16      20    24    28     30       32      40      48         56
    ///  +------+---------+------------+-------+-----+-----+------+--------+-------+-------+----------+--
    ///  | mask | blksize | attributes | nlink | uid | gid | mode | spare0 | ino   | size  | blocks   | … (256 bytes)
    ///  +------+---------+------------+-------+-----+-----+------+--------+-------+-------+----------+--
    /// </code>
    /// <c>stx_blocks</c> counts 512-byte units actually allocated to the file.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct statx_t
    {
        [FieldOffset(0)] public uint stx_mask;
        [FieldOffset(4)] public uint stx_blksize;
        [FieldOffset(20)] public uint stx_uid;
        [FieldOffset(24)] public uint stx_gid;
        [FieldOffset(28)] public ushort stx_mode;
        [FieldOffset(32)] public ulong stx_ino;
        [FieldOffset(40)] public ulong stx_size;
        [FieldOffset(48)] public ulong stx_blocks;
    }

    /// <summary>statx flag: operate on dirfd itself when pathname is empty.</summary>
    public const int AT_EMPTY_PATH = 0x1000;

    /// <summary>fstatfs f_type of hugetlbfs (linux/magic.h HUGETLBFS_MAGIC).</summary>
    public const long HUGETLBFS_MAGIC = 0x958458f6;

    /// <summary>fstatfs f_type of tmpfs and of memfds without MFD_HUGETLB (linux/magic.h TMPFS_MAGIC).</summary>
    public const long TMPFS_MAGIC = 0x01021994;

    /// <summary>A buffer larger than struct statfs (120 bytes on x86_64); f_type is its first field (long).</summary>
    public const int StatfsBufferSize = 256;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fstatfs(int fd, byte* buf);

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string pathname, int flags, uint mask, out statx_t statxbuf);
}
