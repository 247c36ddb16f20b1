using Ballast.Linux.Interop;

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
        Assert.Equal(0, Libc.pipe2(fds, Libc.O_CLOEXEC));
        return (fds[0], fds[1]);
    }

    /// <summary>What QEMU's <c>memory-backend-memfd</c> (seal=on, its default) seals guest RAM with.</summary>
    public const int QemuSeals = Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL;

    /// <summary>
    /// A memfd of <paramref name="size"/> bytes with a unique name, sealed with <paramref name="seals"/> after sizing
    /// (by default as QEMU seals guest RAM; 0 leaves it sealable but unsealed).
    /// </summary>
    public static int Memfd(long size, int seals = QemuSeals)
    {
        var fd = Libc.memfd_create($"ballast-test-{Guid.NewGuid():N}", Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        Assert.True(fd >= 0);
        Assert.Equal(0, Libc.ftruncate(fd, size));
        if (seals != 0)
            Assert.Equal(0, Libc.fcntl(fd, Libc.F_ADD_SEALS, seals));
        return fd;
    }

    /// <summary>A memfd made without MFD_ALLOW_SEALING: born with F_SEAL_SEAL only, it can never be sealed.</summary>
    public static int UnsealableMemfd(long size)
    {
        var fd = Libc.memfd_create($"ballast-test-{Guid.NewGuid():N}", Libc.MFD_CLOEXEC);
        Assert.True(fd >= 0);
        Assert.Equal(0, Libc.ftruncate(fd, size));
        return fd;
    }

    public static void Close(int fd) => Libc.close(fd);

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
