using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.VhostUser.Transport;

/// <summary>
/// What kind of file a received descriptor is. A hostile front-end can send any descriptor where an eventfd or a
/// memfd is expected; a regular file as a "kick" is always readable (a busy loop), and a region mapped past the
/// end of its file — or whose file shrinks later — faults (SIGBUS) on first touch, so all are checked before use.
/// </summary>
internal static unsafe class Descriptors
{
    /// <summary>
    /// True if <paramref name="fd"/> is an eventfd (its /proc link reads "anon_inode:[eventfd]"). Without /proc the
    /// kind cannot be told and every open descriptor passes.
    /// </summary>
    public static bool IsEventFd(int fd)
    {
        if (!Directory.Exists("/proc/self/fd"))
            return TryStat(fd, out _, out _);
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget == "anon_inode:[eventfd]";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sets O_NONBLOCK on <paramref name="fd"/>; returns errno, or 0. The flag belongs to the open file description,
    /// which the sender shares: setting it on an eventfd QEMU sent changes nothing (QEMU's are non-blocking already).
    /// </summary>
    public static int SetNonBlocking(int fd)
    {
        var flags = Libc.fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || ((flags & Libc.O_NONBLOCK) == 0 && Libc.fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0))
            return Marshal.GetLastPInvokeError();
        return 0;
    }

    /// <summary>True if <paramref name="fd"/> is a socket.</summary>
    public static bool IsSocket(int fd) => TryStat(fd, out var mode, out _) && (mode & Libc.S_IFMT) == Libc.S_IFSOCK;

    /// <summary>The size of a regular file (memfd, tmpfs, hugetlbfs), or null for anything else.</summary>
    public static long? RegularFileSize(int fd) =>
        TryStat(fd, out var mode, out var size) && (mode & Libc.S_IFMT) == Libc.S_IFREG ? size : null;

    /// <summary>
    /// The file seals of <paramref name="fd"/> (fcntl F_GET_SEALS), or null where the file cannot carry any (EINVAL:
    /// neither shmem nor hugetlbfs) or is not open. memfd_create(2) "File sealing": seals are only ever added, so
    /// once a seal is seen it holds for the life of the file. A memfd made without MFD_ALLOW_SEALING, and a tmpfs or
    /// hugetlbfs file opened by path, report F_SEAL_SEAL alone: they can never be sealed.
    /// </summary>
    public static int? Seals(int fd)
    {
        var seals = Libc.fcntl(fd, Libc.F_GET_SEALS, 0);
        return seals < 0 ? null : seals;
    }

    /// <summary>
    /// True if <paramref name="fd"/>'s file can never shrink (F_SEAL_SHRINK): memfd_create(2) "F_SEAL_SHRINK: If this
    /// seal is set, the file in question cannot be reduced in size", so no page under a mapping of it goes away.
    /// </summary>
    public static bool IsSealedAgainstShrinking(int fd) => Seals(fd) is { } seals && (seals & Libc.F_SEAL_SHRINK) != 0;

    private static bool TryStat(int fd, out uint mode, out long size)
    {
        var buf = stackalloc byte[Libc.StatBufferSize];
        if (Libc.fstat(fd, buf) != 0)
        {
            mode = 0;
            size = 0;
            return false;
        }
        mode = *(uint*)(buf + Libc.StatModeOffset);
        size = *(long*)(buf + Libc.StatSizeOffset);
        return true;
    }
}
