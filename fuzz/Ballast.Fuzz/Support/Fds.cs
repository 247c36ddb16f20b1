using Ballast.Linux;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Fuzz.Support;

/// <summary>Small descriptor helpers for the harnesses; failures are harness bugs and throw <see cref="SyscallException"/>.</summary>
internal static unsafe class Fds
{
    /// <summary>The identity of an open file: the (st_dev, st_ino) pair fstat reports.</summary>
    public readonly record struct FileKey(ulong Device, ulong Inode);

    public static int Check(int rc, string call) =>
        rc >= 0 ? rc : throw new SyscallException(call, Marshal.GetLastPInvokeError());

    /// <summary>A new descriptor for the same open file (CLOEXEC), as SCM_RIGHTS would deliver it.</summary>
    public static int Duplicate(int fd) => Check(Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0), "fcntl(F_DUPFD_CLOEXEC)");

    public static void Close(int fd)
    {
        if (fd >= 0)
            _ = Libc.close(fd);
    }

    public static FileKey Key(int fd)
    {
        var buf = stackalloc byte[Libc.StatBufferSize];
        Check(Libc.fstat(fd, buf), "fstat");
        return new FileKey(*(ulong*)(buf + Libc.StatDevOffset), *(ulong*)(buf + Libc.StatInoOffset));
    }

    /// <summary>The identity of <paramref name="fd"/>, or false if it is not open.</summary>
    public static bool TryKey(int fd, out FileKey key)
    {
        var buf = stackalloc byte[Libc.StatBufferSize];
        if (Libc.fstat(fd, buf) != 0)
        {
            key = default;
            return false;
        }
        key = new FileKey(*(ulong*)(buf + Libc.StatDevOffset), *(ulong*)(buf + Libc.StatInoOffset));
        return true;
    }

    /// <summary>
    /// The kernel's id of the eventfd behind <paramref name="fd"/> ("eventfd-id" in /proc/self/fdinfo, Linux 5.16+),
    /// which tells one eventfd from another where fstat cannot (they all share one anonymous inode); null if
    /// <paramref name="fd"/> is not an eventfd or the kernel does not say.
    /// </summary>
    public static string? EventFdId(int fd)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/self/fdinfo/{fd}"))
            {
                if (line.StartsWith("eventfd-id:", StringComparison.Ordinal))
                    return line["eventfd-id:".Length..].Trim();
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>What /proc/self/fd/<paramref name="fd"/> links to ("anon_inode:[eventfd]", "/memfd:x (deleted)"), or null.</summary>
    public static string? LinkTarget(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads and discards whatever is queued on a non-blocking descriptor (socket, pipe or eventfd).</summary>
    public static int Drain(int fd)
    {
        var buf = stackalloc byte[4096];
        var total = 0;
        while (true)
        {
            var n = Libc.read(fd, buf, 4096);
            if (n > 0)
            {
                total += (int)n;
                continue;
            }
            if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                continue;
            return total;
        }
    }

    /// <summary>pwrite of all of <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    public static void WriteAt(int fd, ReadOnlySpan<byte> bytes, long offset)
    {
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Libc.pwrite(fd, p + done, (nuint)(bytes.Length - done), offset + done);
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                    continue;
                done += (int)Check((int)n, "pwrite");
            }
        }
    }

    /// <summary>Gives every page of a memfd back (it reads as zeros again).</summary>
    public static void Zero(int fd, long size) =>
        Check(Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, 0, size), "fallocate(PUNCH_HOLE)");
}
