using Ballast.Linux.Interop;

namespace Ballast.TestKit;

/// <summary>What a file descriptor of this process currently is, read from /proc/self/fd.</summary>
internal static class FdProbe
{
    /// <summary>The link target of /proc/self/fd/<paramref name="fd"/> ("/memfd:name (deleted)"), or null if closed.</summary>
    public static string? Target(int fd)
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

    /// <summary>
    /// True if <paramref name="fd"/> is still our memfd called <paramref name="name"/>. Tests run in parallel, so a
    /// closed number may already be reused by another file: identity is the unique memfd name, not the number.
    /// </summary>
    public static bool IsMemfd(int fd, string name) => Target(fd)?.StartsWith($"/memfd:{name}", StringComparison.Ordinal) == true;

    /// <summary>A new descriptor for the file of <paramref name="fd"/> (F_DUPFD_CLOEXEC), as a supervisor hands one to a new worker.</summary>
    public static int Dup(int fd)
    {
        var copy = Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0);
        Assert.True(copy >= 0, $"dup of fd {fd} failed");
        return copy;
    }

    /// <summary>A new memfd of <paramref name="bytes"/> with a name unique to this call.</summary>
    public static int CreateMemfd(ulong bytes, out string name)
    {
        name = $"ballast-test-{Guid.NewGuid():N}";
        var fd = Libc.memfd_create(name, Libc.MFD_CLOEXEC);
        Assert.True(fd >= 0, "memfd_create failed");
        Assert.Equal(0, Libc.ftruncate(fd, (long)bytes));
        return fd;
    }
}
