using Ballast.Linux.Interop;
using Ballast.Fuzz.Support;

namespace Ballast.Fuzz.VhostUser;

/// <summary>
/// The descriptors a fuzzed front-end can attach to its messages: a fixed pool of real files created once per
/// process. An input names pool entries by index (<see cref="Select"/>); each attachment is a fresh duplicate,
/// as SCM_RIGHTS delivers one, and the backend owns it from then on. After each input <see cref="CheckNoLeaks"/>
/// proves the backend closed every duplicate it was given (and so unmapped any memory mapped from one: GuestMemory
/// closes a region's descriptor right after unmapping it).
/// <code>
/// 0 Ram        memfd, 4 MiB, sealed against shrinking and growing: the guest RAM of the seeds
/// 1 SmallFile  memfd, 64 KiB: regions past its end must be refused
/// 2 Kick       eventfd          3 Call  eventfd          7 Err  eventfd
/// 4 Socket     one end of a socketpair (SET_BACKEND_REQ_FD); the harness holds the other end
/// 5 Pipe       read end of a pipe: neither an eventfd nor a regular file
/// 6 ReadOnly   the RAM memfd reopened read-only: a regular file that cannot be mapped writable
/// </code>
/// </summary>
internal sealed class FdPool : IDisposable
{
    public const int Ram = 0, SmallFile = 1, Kick = 2, Call = 3, Socket = 4, Pipe = 5, ReadOnly = 6, Err = 7;

    /// <summary>Entries an input can name; a selector byte is taken modulo this.</summary>
    public const int Count = 8;

    public const long RamBytes = 4L << 20, SmallFileBytes = 64L << 10;

    private static int s_pools;

    private readonly int[] _fds = new int[Count];
    private readonly Fds.FileKey[] _keys = new Fds.FileKey[Count];
    private readonly string?[] _eventFdIds = new string?[Count];
    private readonly int _socketPeer;   // the front-end's end of the backend-request socket
    private readonly int _pipeWrite;
    private readonly List<(int Fd, int Entry)> _handedOut = [];

    public FdPool()
    {
        // Names unique per pool: /proc/self/maps must show this pool's mappings only (tests run several at once).
        var id = $"{Environment.ProcessId}-{Interlocked.Increment(ref s_pools)}";
        RamName = $"ballast-fuzz-ram-{id}";
        SmallName = $"ballast-fuzz-small-{id}";
        Array.Fill(_fds, -1);
        _socketPeer = _pipeWrite = -1;
        try
        {
            _fds[Ram] = Fds.Check(Libc.memfd_create(RamName, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING), "memfd_create");
            Fds.Check(Libc.ftruncate(_fds[Ram], RamBytes), "ftruncate");
            Fds.Check(Libc.fcntl(_fds[Ram], Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW), "fcntl(F_ADD_SEALS)");
            _fds[SmallFile] = Fds.Check(Libc.memfd_create(SmallName, Libc.MFD_CLOEXEC), "memfd_create");
            Fds.Check(Libc.ftruncate(_fds[SmallFile], SmallFileBytes), "ftruncate");
            foreach (var i in new[] { Kick, Call, Err })
                _fds[i] = Fds.Check(Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC), "eventfd");
            unsafe
            {
                var pair = stackalloc int[2];
                Fds.Check(Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0, pair), "socketpair");
                (_fds[Socket], _socketPeer) = (pair[0], pair[1]);
                Fds.Check(Libc.pipe2(pair, Libc.O_CLOEXEC | Libc.O_NONBLOCK), "pipe2");
                (_fds[Pipe], _pipeWrite) = (pair[0], pair[1]);
            }
            _fds[ReadOnly] = Fds.Check(Libc.open($"/proc/self/fd/{_fds[Ram]}", Libc.O_RDONLY | Libc.O_CLOEXEC), "open(/proc/self/fd)");
            for (var i = 0; i < Count; i++)
                _keys[i] = Fds.Key(_fds[i]);
            foreach (var i in new[] { Kick, Call, Err })
                _eventFdIds[i] = Fds.EventFdId(_fds[i]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The memfd names, as /proc/self/maps shows them while mapped.</summary>
    public string RamName { get; }

    public string SmallName { get; }

    /// <summary>The pool's own descriptor for entry <paramref name="index"/> (not a duplicate).</summary>
    public int this[int index] => _fds[index];

    /// <summary>The harness's end of the backend-request socket.</summary>
    public int SocketPeer => _socketPeer;

    /// <summary>A new duplicate of entry <c>selector % Count</c>; the caller (the backend) owns it.</summary>
    public int Select(byte selector)
    {
        var entry = selector % Count;
        var fd = Fds.Duplicate(_fds[entry]);
        _handedOut.Add((fd, entry));
        return fd;
    }

    /// <summary>
    /// Puts every entry back as it was before the last input: RAM and the small file zeroed, eventfd counters
    /// consumed, sockets and pipe drained (in both directions), so no input sees what an earlier one left.
    /// </summary>
    public void Reset()
    {
        Fds.Zero(_fds[Ram], RamBytes);
        Fds.Zero(_fds[SmallFile], SmallFileBytes);
        foreach (var i in new[] { Kick, Call, Err, Socket, Pipe })
            Fds.Drain(_fds[i]);
        Fds.Drain(_socketPeer);
        _handedOut.Clear();
    }

    /// <summary>
    /// Throws if a duplicate handed out since <see cref="Reset"/> is still open: its number still names the same
    /// file — for eventfds, which all share one anonymous inode, the same eventfd by the kernel's eventfd id (just
    /// "an eventfd" on kernels that do not report ids). A number the backend closed may have been reused since,
    /// but only by another file: every duplicate of a pool file comes from this pool, and the session is over.
    /// </summary>
    public void CheckNoLeaks(string context)
    {
        foreach (var (fd, entry) in _handedOut)
        {
            if (!Fds.TryKey(fd, out var key) || key != _keys[entry])
                continue;
            if (entry is Kick or Call or Err && (_eventFdIds[entry] is { } id ? Fds.EventFdId(fd) != id : Fds.LinkTarget(fd) != "anon_inode:[eventfd]"))
                continue;
            throw new InvariantViolationException($"{context}: descriptor {fd}, a duplicate of pool entry {entry}, is still open: the backend never closed it");
        }
    }

    public void Dispose()
    {
        foreach (var fd in _fds)
            Fds.Close(fd);
        Fds.Close(_socketPeer);
        Fds.Close(_pipeWrite);
    }
}
