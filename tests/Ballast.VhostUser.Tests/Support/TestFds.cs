using Ballast.VhostUser.Tests.Interop;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// Descriptors for hostile messages, and a way to tell whether the server still holds its copy of one: every
/// descriptor of this process that refers to the same pipe or memfd has the same /proc/self/fd link target.
/// </summary>
internal static unsafe class TestFds
{
    /// <summary>A pipe; the caller closes both ends.</summary>
    public static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        Assert.Equal(0, TestLibc.pipe2(fds, TestLibc.O_CLOEXEC));
        return (fds[0], fds[1]);
    }

    /// <summary>A memfd of <paramref name="size"/> bytes with a unique name.</summary>
    public static int Memfd(long size)
    {
        var fd = TestLibc.memfd_create($"ballast-test-{Guid.NewGuid():N}", TestLibc.MFD_CLOEXEC);
        Assert.True(fd >= 0);
        Assert.Equal(0, TestLibc.ftruncate(fd, size));
        return fd;
    }

    public static void Close(int fd) => TestLibc.close(fd);

    /// <summary>What /proc/self/fd/<paramref name="fd"/> points to ("pipe:[123]", "/memfd:name (deleted)").</summary>
    public static string Target(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget!;

    /// <summary>How many descriptors of this process point to <paramref name="target"/>.</summary>
    public static int CountOpen(string target)
    {
        var n = 0;
        foreach (var entry in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            try
            {
                if (entry.LinkTarget == target)
                    n++;
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return n;
    }

    /// <summary>Waits until only <paramref name="expected"/> descriptors (ours) point to <paramref name="target"/>.</summary>
    public static void AssertOnlyOurs(string target, int expected = 1) =>
        Wait.Until(() => CountOpen(target) == expected, $"the server still holds a descriptor to {target}");
}
