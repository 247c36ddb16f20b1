using Ballast.Virtio.Interop;

namespace Ballast.Virtio;

/// <summary>
/// A Linux eventfd(2): the notification primitive of virtio over vhost-user (kick = driver → device,
/// call = device → driver). Non-blocking underneath; <see cref="Wait(int)"/> blocks in poll(2).
/// Thread-safe: the kernel object is the only state.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    private int _fd;
    private readonly bool _owned;

    /// <summary>Creates a new eventfd (EFD_NONBLOCK | EFD_CLOEXEC).</summary>
    public EventFd()
    {
        _fd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_fd < 0)
            throw SyscallException.FromLastError("eventfd");
        _owned = true;
    }

    /// <summary>Wraps a descriptor received from a peer (e.g. over SCM_RIGHTS); takes ownership when <paramref name="owned"/>.</summary>
    public EventFd(int fd, bool owned)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        _fd = fd;
        _owned = owned;
    }

    /// <summary>The file descriptor, for epoll or for passing to a peer.</summary>
    public int Fd => _fd;

    /// <summary>Adds 1 to the counter, waking a waiter. Never blocks (a full counter is already "signalled").</summary>
    public void Signal()
    {
        ulong one = 1;
        while (true)
        {
            var n = Libc.write(_fd, &one, sizeof(ulong));
            if (n == sizeof(ulong))
                return;
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.EAGAIN)
                return; // counter at its maximum: a wake-up is pending anyway
            throw new SyscallException("write(eventfd)", errno);
        }
    }

    /// <summary>Reads and resets the counter without blocking; returns 0 if nothing was signalled.</summary>
    public ulong TryConsume()
    {
        ulong value;
        while (true)
        {
            var n = Libc.read(_fd, &value, sizeof(ulong));
            if (n == sizeof(ulong))
                return value;
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.EAGAIN)
                return 0;
            throw new SyscallException("read(eventfd)", errno);
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
            var pfd = new Libc.PollFd { fd = _fd, events = Libc.POLLIN };
            var rc = Libc.poll(&pfd, 1, timeoutMs);
            if (rc == 0)
                return 0;
            if (rc < 0)
            {
                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
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
        var pfds = stackalloc Libc.PollFd[fds.Length];
        for (var i = 0; i < fds.Length; i++)
            pfds[i] = new Libc.PollFd { fd = fds[i].Fd, events = Libc.POLLIN };
        while (true)
        {
            var rc = Libc.poll(pfds, (nuint)fds.Length, timeoutMs);
            if (rc == 0)
                return -1;
            if (rc < 0)
            {
                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                throw new SyscallException("poll(eventfd)", errno);
            }
            for (var i = 0; i < fds.Length; i++)
                if ((pfds[i].revents & Libc.POLLIN) != 0)
                    return i;
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0 && _owned)
            _ = Libc.close(fd);
    }
}
