using System.Runtime.InteropServices;

namespace Ballast.Cli.Guest.Interop;

/// <summary>
/// The libc calls the guest launcher needs, C names verbatim (this folder only): <c>kill(2)</c> to stop exactly
/// the processes it started, by pid, and <c>statx(2)</c> for the blocks behind a guest's RAM file. Linux values;
/// errno is read with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static partial class Libc
{
    private const string LibC = "libc";

    // signal.h
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    // errno.h
    public const int ESRCH = 3;

    // fcntl.h
    public const int AT_FDCWD = -100;

    // statx(2)
    public const uint STATX_SIZE = 0x200;
    public const uint STATX_BLOCKS = 0x400;

    /// <summary>
    /// The head of <c>struct statx</c> (linux/stat.h), the same on every architecture:
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
        [FieldOffset(40)] public ulong stx_size;
        [FieldOffset(48)] public ulong stx_blocks;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getpgid(int pid);

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string pathname, int flags, uint mask, out statx_t statxbuf);
}
