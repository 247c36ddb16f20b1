using Ballast.Linux.Interop;

namespace Ballast.VhostUser.Transport;

/// <summary>
/// File descriptors received with one message (SCM_RIGHTS). Whoever uses one takes it with <see cref="Take"/>;
/// <see cref="Dispose"/> closes every descriptor nobody took, so a hostile peer cannot leak descriptors into us
/// by attaching them to messages that take none.
/// </summary>
internal sealed class FdList : IDisposable
{
    private readonly List<int> _fds = [];

    /// <summary>Descriptors received (taken or not).</summary>
    public int Count => _fds.Count;

    /// <summary>Adds a received descriptor; the list owns it.</summary>
    public void Add(int fd) => _fds.Add(fd);

    /// <summary>Transfers ownership of descriptor <paramref name="index"/> to the caller.</summary>
    public int Take(int index)
    {
        var fd = _fds[index];
        if (fd < 0)
            throw new InvalidOperationException($"descriptor {index} was already taken");
        _fds[index] = -1;
        return fd;
    }

    /// <summary>The descriptor numbers (for tests and logs); -1 for taken ones.</summary>
    public IReadOnlyList<int> Peek() => _fds;

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        for (var i = 0; i < _fds.Count; i++)
        {
            if (_fds[i] >= 0)
                _ = Libc.close(_fds[i]);
            _fds[i] = -1;
        }
    }
}
