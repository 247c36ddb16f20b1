using System.Runtime.InteropServices;

namespace Ballast.VhostUser.Interop;

/// <summary>
/// The libc calls the vhost-user transport needs, C names verbatim (this folder only), one file per header:
/// <c>Libc.Socket.cs</c> (sys/socket.h, sys/un.h), <c>Libc.Poll.cs</c> (poll.h), <c>Libc.Stat.cs</c> (sys/stat.h),
/// this file (unistd.h, errno.h). Linux x86_64 layouts; every call sets errno, read with
/// <see cref="Marshal.GetLastPInvokeError"/>. <c>InteropAbiTests</c> compares every number with gcc.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibC = "libc";

    // errno.h
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int EPIPE = 32;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibC)]
    public static partial uint geteuid();

    /// <summary>lchown(2): a socket file is given to a user and/or group without following a symbolic link; uint.MaxValue leaves one unchanged.</summary>
    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string pathname, uint owner, uint group);

    /// <summary>
    /// fcntl(2) with an int argument: F_GET_SEALS for a memory region's seals, F_GETFL/F_SETFL (O_NONBLOCK on received
    /// eventfds); tests also check that a descriptor is closed (F_GETFD → EBADF).
    /// </summary>
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    // fcntl.h
    public const int F_GETFD = 1;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int FD_CLOEXEC = 1;

    public const int O_NONBLOCK = 0x800;

    // fcntl.h, file seals (memfd_create(2) "File sealing"): seals can be added, never removed.
    public const int F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 0x0001;
    public const int F_SEAL_SHRINK = 0x0002;
    public const int F_SEAL_GROW = 0x0004;
}
