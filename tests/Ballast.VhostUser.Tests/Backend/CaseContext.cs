using Ballast.Virtio.Memory;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// Resources of one hostile-message case: guest memory for set-up, and descriptors the case attaches, tracked so
/// the test can check that the server closed its copies.
/// </summary>
internal sealed class CaseContext : IDisposable
{
    private readonly List<int> _ours = [];
    private readonly List<IDisposable> _disposables = [];

    public GuestMemory Memory { get; } = GuestMemory.CreateMemfd(16UL << 20);

    /// <summary>The read end of a new pipe (the write end is closed).</summary>
    public int Pipe()
    {
        var (read, write) = TestFds.Pipe();
        TestFds.Close(write);
        _ours.Add(read);
        return read;
    }

    /// <summary>A new memfd of <paramref name="size"/> bytes, sealed with <paramref name="seals"/> (by default as QEMU seals guest RAM).</summary>
    public int Memfd(long size = 16L << 20, int seals = TestFds.QemuSeals)
    {
        var fd = TestFds.Memfd(size, seals);
        _ours.Add(fd);
        return fd;
    }

    /// <summary>A new eventfd.</summary>
    public int EventFd()
    {
        var fd = new Ballast.Linux.EventFd();
        _disposables.Add(fd);
        return fd.Fd;
    }

    /// <summary>Asserts that only our own descriptor remains for every pipe and memfd the case sent.</summary>
    public void AssertServerClosedEveryDescriptor()
    {
        foreach (var fd in _ours)
            TestFds.AssertOnlyOurs(TestFds.Target(fd));
    }

    public void Dispose()
    {
        foreach (var fd in _ours)
            TestFds.Close(fd);
        foreach (var d in _disposables)
            d.Dispose();
        Memory.Dispose();
    }
}
