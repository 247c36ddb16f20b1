using Ballast.Linux;
using System.Runtime.InteropServices;
using System.Text;
using Ballast.Linux.Interop;

namespace Ballast.VhostUser.Transport;

/// <summary>
/// An AF_UNIX stream socket with SCM_RIGHTS descriptor passing (.NET's Socket cannot send or receive
/// descriptors). Every transfer is non-blocking underneath (MSG_DONTWAIT) and waits in poll(2) with a time-out and
/// an optional stop eventfd, so neither a stalled peer nor a half-sent message can hang the caller. Received
/// descriptors are CLOEXEC (MSG_CMSG_CLOEXEC). One reader and one writer at a time.
/// </summary>
internal sealed unsafe class UnixSocket : IDisposable
{
    /// <summary>
    /// Room for this many descriptors per recvmsg: twice what a whole message may carry, so that excess in one piece
    /// is seen (MSG_CTRUNC) rather than silently dropped. The cap on a message is <see cref="ReceiveExact"/>'s.
    /// </summary>
    private const int ControlFds = 2 * Protocol.VhostUserMessage.MaxFds;

    /// <summary>The most descriptors one sendmsg attaches (the kernel's SCM_MAX_FD is 253; tests send too many on purpose).</summary>
    private const int MaxSendFds = 64;

    private int _fd;

    private UnixSocket(int fd) => _fd = fd;

    /// <summary>The descriptor (for poll); -1 once disposed.</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>Wraps a descriptor received from a peer (SET_BACKEND_REQ_FD); takes ownership.</summary>
    public static UnixSocket FromDescriptor(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        return new UnixSocket(fd);
    }

    /// <summary>socket + bind + listen on <paramref name="path"/> (which must not exist), with the umask's mode.</summary>
    public static UnixSocket Listen(string path, int backlog)
    {
        var s = Bind(path);
        try
        {
            s.Listen(backlog, path);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>
    /// socket + bind on <paramref name="path"/> (which must not exist). Nobody can connect until <see cref="Listen(int, string)"/>
    /// (connect(2) to a socket that does not listen is refused): the time to set the file's owner and mode.
    /// </summary>
    public static UnixSocket Bind(string path)
    {
        var s = Create();
        try
        {
            var addr = Address(path, out var len);
            if (Libc.bind(s._fd, &addr, len) != 0)
                throw Error("bind", path);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>listen(2) on a bound socket; <paramref name="path"/> is for the error message.</summary>
    public void Listen(int backlog, string path)
    {
        if (Libc.listen(Fd, backlog) != 0)
            throw Error("listen", path);
    }

    /// <summary>Who connected (SO_PEERCRED, SO_PEERGROUPS); null, with errno, if the kernel does not say.</summary>
    public PeerCredentials? PeerCredentials(out int errno) => Ballast.Linux.PeerCredentials.Read(Fd, out errno);

    /// <summary>socket + connect to <paramref name="path"/>.</summary>
    public static UnixSocket Connect(string path)
    {
        var s = Create();
        try
        {
            var addr = Address(path, out var len);
            while (Libc.connect(s._fd, &addr, len) != 0)
            {
                if (Marshal.GetLastPInvokeError() != Libc.EINTR)
                    throw Error("connect", path);
            }
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): two connected ends.</summary>
    public static (UnixSocket First, UnixSocket Second) CreatePair()
    {
        var sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv) != 0)
            throw new SyscallException("socketpair", Marshal.GetLastPInvokeError());
        return (new UnixSocket(sv[0]), new UnixSocket(sv[1]));
    }

    /// <summary>accept4(SOCK_CLOEXEC) on a listening socket that poll reported readable; null if the client is already gone.</summary>
    public UnixSocket? Accept()
    {
        while (true)
        {
            var fd = Libc.accept4(_fd, null, null, Libc.SOCK_CLOEXEC);
            if (fd >= 0)
                return new UnixSocket(fd);
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            if (errno is Libc.EAGAIN or Libc.ECONNRESET or Libc.ECONNABORTED)
                return null;
            throw new SyscallException("accept4", errno);
        }
    }

    /// <summary>
    /// Sends all of <paramref name="data"/>, with <paramref name="fds"/> attached to the first byte (SCM_RIGHTS).
    /// </summary>
    /// <param name="data">The bytes.</param>
    /// <param name="fds">Descriptors to pass (SCM_RIGHTS).</param>
    /// <param name="timeoutMs">How long the whole send may take (one deadline, however many pieces); -1 forever.</param>
    /// <exception cref="VhostUserException">The peer is gone or did not drain its socket within <paramref name="timeoutMs"/>.</exception>
    public void Send(ReadOnlySpan<byte> data, ReadOnlySpan<int> fds, int timeoutMs)
    {
        var deadline = Deadline.After(timeoutMs);
        if (fds.Length > MaxSendFds)
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Length, $"at most {MaxSendFds} descriptors");
        var control = stackalloc byte[Math.Max(Libc.RightsSpace(fds.Length), 1)];
        var sent = 0;
        fixed (byte* p = data)
        {
            while (sent < data.Length)
            {
                var iov = new Libc.iovec { iov_base = p + sent, iov_len = (nuint)(data.Length - sent) };
                var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1 };
                if (sent == 0)
                    Libc.PutRights(&msg, control, fds);
                var n = Libc.sendmsg(Fd, &msg, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);
                if (n > 0)
                {
                    sent += (int)n;
                    continue;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                if (errno != Libc.EAGAIN)
                    throw new VhostUserException($"sendmsg failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
                        new SyscallException("sendmsg", errno));
                if (Wait(Libc.POLLOUT, deadline.RemainingMs, null) != WaitResult.Ready)
                    throw new VhostUserException($"the peer did not take a message within {timeoutMs} ms ({sent} of {data.Length} bytes sent)");
            }
        }
    }

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>.Length bytes, collecting descriptors into <paramref name="fds"/>.
    /// Returns false if the peer closed the connection before the first byte and <paramref name="eofAllowed"/>.
    /// </summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="fds">Receives every descriptor that arrives (the caller closes what it does not use).</param>
    /// <param name="eofAllowed">True at a message boundary, where a close is an orderly end.</param>
    /// <param name="deadline">When the bytes must all be there: the message's, shared by its header and payload.</param>
    /// <param name="maxFds">The most descriptors <paramref name="fds"/> may hold in all (the message's, not this read's).</param>
    /// <param name="stop">Ends the wait early (throws <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="VhostUserException">The connection closed mid-message, the deadline passed, a call failed, or
    /// more descriptors came than a message may carry.</exception>
    public bool ReceiveExact(Span<byte> buffer, FdList fds, bool eofAllowed, Deadline deadline, int maxFds, EventFd? stop) =>
        Read(buffer, fds, eofAllowed, deadline, maxFds, stop, peek: false);

    /// <summary>
    /// Peeks all of <paramref name="buffer"/> — one whole message, from the socket's peek offset (set it with
    /// <see cref="ResetPeekOffset"/>) — without taking it off the socket, with exactly the descriptors that came with it;
    /// otherwise as <see cref="ReceiveExact"/>. Taken off with <see cref="Discard"/> once handled.
    /// </summary>
    /// <remarks>
    /// A MSG_PEEK on an AF_UNIX stream socket that ends exactly where the next piece (skb) of the stream starts moves on
    /// to that piece and hands out its descriptors too (Linux 6.x, unix_stream_read_generic: after the last chunk the
    /// peek path goes to the next skb before it looks at the size left; a zero-byte "chunk" of it still attaches its
    /// descriptors). So a message without descriptors would seem to carry the next message's. Each peek here asks for
    /// one byte more than the message has left: if that byte came, the read went into the next message and the
    /// descriptors of that read are the next message's (closed here); if not, the read stopped at the end of this
    /// message's pieces — at a piece with descriptors, which stops a read, or at the end of what was sent — and every
    /// descriptor it brought is this message's. Peeked bytes keep the socket readable, so poll(2) cannot say when more
    /// arrive: a peek that found nothing new looks again after <see cref="PeekRetryMs"/>.
    /// </remarks>
    public bool PeekExact(Span<byte> buffer, FdList fds, bool eofAllowed, Deadline deadline, int maxFds, EventFd? stop) =>
        Read(buffer, fds, eofAllowed, deadline, maxFds, stop, peek: true);

    private bool Read(Span<byte> buffer, FdList fds, bool eofAllowed, Deadline deadline, int maxFds, EventFd? stop, bool peek)
    {
        var flags = Libc.MSG_CMSG_CLOEXEC | Libc.MSG_DONTWAIT | (peek ? Libc.MSG_PEEK : 0);
        var got = 0;
        var controlLength = (int)Libc.CMSG_SPACE(ControlFds * sizeof(int));
        var control = stackalloc byte[controlLength];
        var iov = stackalloc Libc.iovec[2];
        byte beyond;
        fixed (byte* p = buffer)
        {
            while (got < buffer.Length)
            {
                iov[0] = new Libc.iovec { iov_base = p + got, iov_len = (nuint)(buffer.Length - got) };
                iov[1] = new Libc.iovec { iov_base = &beyond, iov_len = 1 };
                var msg = new Libc.msghdr { msg_iov = iov, msg_iovlen = peek ? 2u : 1u, msg_control = control, msg_controllen = (nuint)controlLength };
                var n = Libc.recvmsg(Fd, &msg, flags);
                if (n > buffer.Length - got)
                {
                    // A peek that went into the next message: whatever descriptors came are that message's.
                    using var theirs = new FdList();
                    Libc.TakeRights(&msg, theirs.Add);
                    return true;
                }
                if (n > 0 || (n == 0 && msg.msg_controllen > 0))
                    Libc.TakeRights(&msg, fds.Add);
                // Counted over the whole message: a peer could otherwise send up to ControlFds with every byte.
                if (fds.Count > maxFds)
                    throw new VhostUserException($"the peer sent {fds.Count} descriptors with one message; at most {maxFds} are allowed");
                if (n > 0)
                {
                    if ((msg.msg_flags & Libc.MSG_CTRUNC) != 0)
                        throw new VhostUserException($"the peer sent more than {ControlFds} descriptors with one piece of a message");
                    got += (int)n;
                    continue;
                }
                if (n == 0)
                {
                    if (got == 0 && eofAllowed)
                        return false;
                    throw new VhostUserException($"the peer closed the connection after {got} of {buffer.Length} bytes");
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                if (errno == Libc.ECONNRESET && got == 0 && eofAllowed)
                    return false;
                if (errno != Libc.EAGAIN)
                    throw new VhostUserException($"recvmsg failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
                        new SyscallException("recvmsg", errno));
                switch (peek ? WaitForMore(deadline, stop) : Wait(Libc.POLLIN, deadline.RemainingMs, stop))
                {
                    case WaitResult.Stopped:
                        throw new OperationCanceledException("stopped while receiving a message");
                    case WaitResult.TimedOut:
                        throw new VhostUserException($"the message did not arrive within {deadline.TimeoutMs} ms ({got} of {buffer.Length} bytes read)");
                }
            }
        }
        return true;
    }

    /// <summary>How long a peek that found nothing new waits before it looks again (only a peer that trickles a message waits).</summary>
    private const int PeekRetryMs = 1;

    private static WaitResult WaitForMore(Deadline deadline, EventFd? stop)
    {
        var remaining = deadline.RemainingMs;
        if (remaining == 0)
            return WaitResult.TimedOut;
        var slice = remaining < 0 ? PeekRetryMs : Math.Min(PeekRetryMs, remaining);
        var pfd = new Libc.pollfd { fd = stop?.Fd ?? -1, events = Libc.POLLIN };
        // poll ignores a negative descriptor: without a stop eventfd this only sleeps.
        var rc = Libc.poll(&pfd, 1, slice);
        return rc > 0 && pfd.revents != 0 ? WaitResult.Stopped : WaitResult.Ready;
    }

    /// <summary>Makes the next <c>peek</c> read start at the first unread byte (SO_PEEK_OFF 0).</summary>
    public void ResetPeekOffset()
    {
        var offset = 0;
        if (Libc.setsockopt(Fd, Libc.SOL_SOCKET, Libc.SO_PEEK_OFF, &offset, sizeof(int)) != 0)
            throw new VhostUserException($"setsockopt(SO_PEEK_OFF) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}",
                new SyscallException("setsockopt", Marshal.GetLastPInvokeError()));
    }

    /// <summary>
    /// Takes <paramref name="count"/> bytes that were peeked off the socket, closing the descriptors that come with
    /// them again (the peek gave the caller its own copies). The bytes are there, so this does not wait.
    /// </summary>
    public void Discard(int count)
    {
        using var fds = new FdList();
        var scratch = count <= 512 ? stackalloc byte[count] : new byte[count];
        ReceiveExact(scratch, fds, eofAllowed: false, Deadline.After(0), int.MaxValue, stop: null);
        ResetPeekOffset();
    }

    /// <summary>Reads and throws away every byte (and descriptor) the socket holds now, without waiting; returns the bytes.</summary>
    public int DiscardAvailable()
    {
        using var fds = new FdList();
        var total = 0;
        var buffer = stackalloc byte[256];
        var control = stackalloc byte[(int)Libc.CMSG_SPACE(ControlFds * sizeof(int))];
        while (true)
        {
            var iov = new Libc.iovec { iov_base = buffer, iov_len = 256 };
            var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = Libc.CMSG_SPACE(ControlFds * sizeof(int)) };
            var n = Libc.recvmsg(Fd, &msg, Libc.MSG_CMSG_CLOEXEC | Libc.MSG_DONTWAIT);
            if (n > 0)
            {
                Libc.TakeRights(&msg, fds.Add);
                total += (int)n;
                continue;
            }
            if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                continue;
            return total;
        }
    }

    /// <summary>What <see cref="Wait"/> saw.</summary>
    public enum WaitResult
    {
        Ready,
        TimedOut,
        Stopped,
    }

    /// <summary>
    /// Waits until the socket is readable (or, for <see cref="Libc.POLLOUT"/>, writable), closed, or in error —
    /// all of which count as <see cref="WaitResult.Ready"/>; the next transfer tells which.
    /// </summary>
    public WaitResult Wait(short events, int timeoutMs, EventFd? stop)
    {
        var pfds = stackalloc Libc.pollfd[2];
        pfds[0] = new Libc.pollfd { fd = Fd, events = events };
        var n = 1;
        if (stop is not null)
        {
            pfds[1] = new Libc.pollfd { fd = stop.Fd, events = Libc.POLLIN };
            n = 2;
        }
        while (true)
        {
            var rc = Libc.poll(pfds, (nuint)n, timeoutMs);
            if (rc == 0)
                return WaitResult.TimedOut;
            if (rc < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                throw new SyscallException("poll", errno);
            }
            if (n == 2 && pfds[1].revents != 0)
                return WaitResult.Stopped;
            return WaitResult.Ready;
        }
    }

    /// <summary>shutdown(SHUT_RDWR): wakes a thread blocked on this socket; the descriptor stays open.</summary>
    public void Shutdown()
    {
        var fd = Fd;
        if (fd >= 0)
            _ = Libc.shutdown(fd, Libc.SHUT_RDWR);
    }

    /// <summary>Closes the descriptor.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            _ = Libc.close(fd);
    }

    private static UnixSocket Create()
    {
        var fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new SyscallException("socket", Marshal.GetLastPInvokeError());
        return new UnixSocket(fd);
    }

    private static Libc.sockaddr_un Address(string path, out uint length)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= Libc.SunPathLength)
            throw new ArgumentException($"socket path is {bytes.Length} bytes; at most {Libc.SunPathLength - 1} fit in sockaddr_un", nameof(path));
        var addr = new Libc.sockaddr_un { sun_family = Libc.AF_UNIX };
        bytes.CopyTo(new Span<byte>(addr.sun_path, Libc.SunPathLength));
        length = (uint)(sizeof(ushort) + bytes.Length + 1);
        return addr;
    }

    private static SyscallException Error(string call, string path) =>
        new(call, Marshal.GetLastPInvokeError(), path);
}
