using System.Runtime.InteropServices;

namespace Ballast.Cli.Interop;

/// <summary>
/// The libc calls <c>ballast serve</c> needs to guard its Unix sockets, C names verbatim (this folder only).
/// Linux values; errno is read with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static partial class Libc
{
    private const string LibC = "libc";

    // fcntl.h
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    // statx(2)
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_UID = 0x8;

    // sys/stat.h
    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;

    // sys/socket.h: getsockopt(SOL_SOCKET, SO_PEERCRED) gives a struct ucred.
    public const int SOL_SOCKET = 1;
    public const int SO_PEERCRED = 17;

    public const int ENOENT = 2;

    /// <summary>
    /// The head of <c>struct statx</c> (linux/stat.h), whose layout is the same on every architecture:
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
        [FieldOffset(28)] public ushort stx_mode;
    }

    /// <summary><c>struct ucred</c> (sys/socket.h; "_t" because C# reserves all-lowercase type names): pid_t pid, uid_t uid, gid_t gid.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ucred_t
    {
        public int pid;
        public uint uid;
        public uint gid;
    }

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string pathname, int flags, uint mask, out statx_t statxbuf);

    [LibraryImport(LibC)]
    public static partial uint geteuid();
}
