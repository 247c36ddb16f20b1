using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// A Linux eventfd(2): the notification primitive of virtio over vhost-user (kick = driver → device,
/// call = device → driver). <see cref="Wait(int)"/> blocks in poll(2); <see cref="Signal"/> and
/// <see cref="TryConsume"/> never block, also on a descriptor received from a peer (see
/// <see cref="EventFd(int, bool)"/>). Thread-safe: the kernel object is the only state, and the descriptor is
/// reference-counted like a SafeHandle — <see cref="Dispose"/> closes it only once no <see cref="Signal"/> or
/// <see cref="TryConsume"/> is in flight, so one thread may signal while another replaces and disposes the
/// eventfd (a front-end's SET_VRING_CALL) without a write ever reaching a closed, reused descriptor number.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    /// <summary>Cleared once preadv2(RWF_NOWAIT) proves unsupported (Linux before 5.12 for eventfds).</summary>
    private static volatile bool s_readNoWait = true;

    private int _fd;
    private readonly bool _owned;
    private int _refs = 1;      // one for the object, one more per Signal/TryConsume in flight
    private int _disposed;

    /// <summary>True for a wrapped descriptor: its O_NONBLOCK is not ours to rely on.</summary>
    private readonly bool _foreign;

    /// <summary>Creates a new eventfd (EFD_NONBLOCK | EFD_CLOEXEC).</summary>
    public EventFd()
    {
        _fd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_fd < 0)
            throw SyscallException.FromLastError("eventfd");
        _owned = true;
    }

    /// <summary>
    /// Wraps a descriptor received from a peer (e.g. over SCM_RIGHTS); takes ownership when <paramref name="owned"/>.
    /// The peer shares the open file description, and with it O_NONBLOCK, which it may clear at any time; so
    /// <see cref="Signal"/> and <see cref="TryConsume"/> never rely on it: they write or read only once the
    /// descriptor is ready. Whoever receives it should still set O_NONBLOCK (vhost-user does, on receipt).
    /// </summary>
    public EventFd(int fd, bool owned)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        _fd = fd;
        _owned = owned;
        _foreign = true;
    }

    /// <summary>
    /// Whether wrapped descriptors are read with preadv2(RWF_NOWAIT); cleared on the first EOPNOTSUPP. Tests clear it
    /// to exercise the poll-then-read fallback of older kernels.
    /// </summary>
    internal static bool ReadNoWait
    {
        get => s_readNoWait;
        set => s_readNoWait = value;
    }

    /// <summary>The file descriptor, for epoll or for passing to a peer.</summary>
    public int Fd => _fd;

    /// <summary>
    /// Adds 1 to the counter, waking a waiter. Never blocks: a full counter (2^64 − 2) is already "signalled".
    /// </summary>
    /// <remarks>
    /// On a wrapped descriptor, write(2) is called only after poll(2) reported POLLOUT (room for 1 more), so a peer
    /// that hands over a blocking eventfd at its maximum cannot make it wait. A residual race remains, and cannot be
    /// closed from here: a peer that clears O_NONBLOCK on its copy and fills the counter between our poll and our
    /// write still blocks that write until somebody reads the counter — and reading is the peer's job. write(2) has
    /// no per-call "don't wait" flag for an eventfd (pwritev2's RWF_NOWAIT gives EOPNOTSUPP), so this needs a peer
    /// that races on purpose, where the plain case (one blocking, full eventfd) needed none.
    /// </remarks>
    public void Signal()
    {
        if (!TryAddRef())
            return; // disposed: nobody listens any more
        try
        {
            SignalCore();
        }
        finally
        {
            Release();
        }
    }

    private void SignalCore()
    {
        ulong one = 1;
        while (true)
        {
            if (_foreign && !IsReady(Libc.POLLOUT))
                return; // counter at its maximum: a wake-up is pending anyway
            var n = Libc.write(_fd, &one, sizeof(ulong));
            if (n == sizeof(ulong))
                return;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.EAGAIN)
                return; // counter at its maximum: a wake-up is pending anyway
            throw new SyscallException("write(eventfd)", errno);
        }
    }

    /// <summary>Reads and resets the counter without blocking; returns 0 if nothing was signalled.</summary>
    /// <remarks>
    /// On a wrapped descriptor the read is preadv2(RWF_NOWAIT), which never waits whatever O_NONBLOCK says (Linux
    /// 5.12 and later); where that is not supported, read(2) is called only after poll(2) reported POLLIN, with the
    /// race <see cref="Signal"/> describes: a peer that drains the counter between our poll and our read, having
    /// cleared O_NONBLOCK, blocks that read until it writes again.
    /// </remarks>
    public ulong TryConsume()
    {
        if (!TryAddRef())
            return 0;
        try
        {
            return TryConsumeCore();
        }
        finally
        {
            Release();
        }
    }

    private ulong TryConsumeCore()
    {
        ulong value;
        while (true)
        {
            nint n;
            if (_foreign && s_readNoWait)
            {
                var iov = new Libc.iovec { iov_base = &value, iov_len = sizeof(ulong) };
                n = Libc.preadv2(_fd, &iov, 1, -1, Libc.RWF_NOWAIT);
            }
            else
            {
                if (_foreign && !IsReady(Libc.POLLIN))
                    return 0;
                n = Libc.read(_fd, &value, sizeof(ulong));
            }
            if (n == sizeof(ulong))
                return value;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.EAGAIN)
                return 0;
            if (_foreign && s_readNoWait && errno is Libc.EOPNOTSUPP or Libc.ENOSYS)
            {
                s_readNoWait = false; // an older kernel: poll, then read
                continue;
            }
            throw new SyscallException("read(eventfd)", errno);
        }
    }

    /// <summary>
    /// poll(2) without waiting: true if <paramref name="events"/> are ready, or if the descriptor is invalid (the
    /// write or read that follows then reports the error).
    /// </summary>
    private bool IsReady(short events)
    {
        var pfd = new Libc.pollfd { fd = _fd, events = events };
        if (pfd.fd < 0)
            return true;
        while (true)
        {
            var rc = Libc.poll(&pfd, 1, 0);
            if (rc >= 0)
                return rc > 0 && (pfd.revents & (events | Libc.POLLNVAL)) != 0;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
                throw new SyscallException("poll(eventfd)", errno);
        }
    }

    /// <summary>Blocks until signalled or <paramref name="timeoutMs"/> passes (-1: forever); consumes the counter.</summary>
    /// <returns>The counter value, or 0 on time-out.</returns>
    public ulong Wait(int timeoutMs = -1)
    {
        while (true)
        {
            var value = TryConsume();
            if (value != 0)
                return value;
            var pfd = new Libc.pollfd { fd = _fd, events = Libc.POLLIN };
            var rc = Libc.poll(&pfd, 1, timeoutMs);
            if (rc == 0)
                return 0;
            if (rc < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                throw new SyscallException("poll(eventfd)", errno);
            }
        }
    }

    /// <summary>
    /// Blocks until any of <paramref name="fds"/> is signalled or <paramref name="timeoutMs"/> passes (-1: forever).
    /// Consumes nothing: returns the index of the first readable eventfd, or -1 on time-out.
    /// </summary>
    public static int WaitAny(ReadOnlySpan<EventFd> fds, int timeoutMs = -1)
    {
        if (fds.Length is 0 or > 64)
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Length, "between 1 and 64 eventfds");
        var pfds = stackalloc Libc.pollfd[fds.Length];
        for (var i = 0; i < fds.Length; i++)
            pfds[i] = new Libc.pollfd { fd = fds[i].Fd, events = Libc.POLLIN };
        while (true)
        {
            var rc = Libc.poll(pfds, (nuint)fds.Length, timeoutMs);
            if (rc == 0)
                return -1;
            if (rc < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                throw new SyscallException("poll(eventfd)", errno);
            }
            for (var i = 0; i < fds.Length; i++)
                if ((pfds[i].revents & Libc.POLLIN) != 0)
                    return i;
        }
    }

    /// <summary>
    /// Takes a reference for an operation on the descriptor; false once disposed (then nothing may touch it).
    /// Internal for tests; every use is paired with <see cref="Release"/>.
    /// </summary>
    internal bool TryAddRef()
    {
        while (true)
        {
            var refs = Volatile.Read(ref _refs);
            if (refs == 0 || Volatile.Read(ref _disposed) != 0)
                return false;
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs)
                return true;
        }
    }

    /// <summary>Drops a reference; the last one closes an owned descriptor.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0)
            return;
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0 && _owned)
            _ = Libc.close(fd);
    }

    /// <summary>Closes the descriptor (if owned) once no operation is in flight; later operations do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Release();
    }
}
