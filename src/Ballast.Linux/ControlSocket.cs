using System.Runtime.InteropServices;
using System.Text;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// One end of an AF_UNIX SOCK_SEQPACKET pair between two cooperating processes of the daemon: short text messages,
/// each delivered whole, with file descriptors attached (SCM_RIGHTS). A descriptor sent is in the kernel's hands once
/// <see cref="Send"/> returns: the receiver gets it even if the sender is killed the next instant, and messages still
/// queued are readable after the sender died.
/// </summary>
public sealed unsafe class ControlSocket : IDisposable
{
    /// <summary>The largest message text, in UTF-8 bytes.</summary>
    public const int MaxMessageBytes = 1024;

    /// <summary>The most descriptors one message carries.</summary>
    public const int MaxFds = 16;

    private int _fd;

    private ControlSocket(int fd) => _fd = fd;

    /// <summary>The descriptor (for poll); -1 once disposed.</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC).</summary>
    public static (ControlSocket First, ControlSocket Second) CreatePair()
    {
        var sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, sv) != 0)
            throw SyscallException.FromLastError("socketpair");
        return (new ControlSocket(sv[0]), new ControlSocket(sv[1]));
    }

    /// <summary>
    /// A listening SOCK_SEQPACKET socket at <paramref name="path"/> (claimed first: a stale file is replaced, a live
    /// one is an <see cref="IOException"/>), mode 0600 before it listens.
    /// </summary>
    public static ControlSocket Listen(string path)
    {
        UnixSocketFile.Claim(path);
        return WithAddress(path, (fd, addr, length) =>
        {
            if (Libc.bind(fd, addr, length) != 0)
                throw new SyscallException("bind", Marshal.GetLastPInvokeError(), path);
            UnixSocketFile.Restrict(path, SocketAccess.OwnerOnly);
            if (Libc.listen(fd, 1) != 0)
                throw new SyscallException("listen", Marshal.GetLastPInvokeError(), path);
        });
    }

    /// <summary>Connects to a listening SOCK_SEQPACKET socket at <paramref name="path"/>.</summary>
    public static ControlSocket Connect(string path) => WithAddress(path, (fd, addr, length) =>
    {
        while (Libc.connect(fd, addr, length) != 0)
        {
            if (Marshal.GetLastPInvokeError() != Libc.EINTR)
                throw new SyscallException("connect", Marshal.GetLastPInvokeError(), path);
        }
    });

    private delegate void AddressAction(int fd, Libc.sockaddr_un* addr, uint length);

    /// <summary>A new SOCK_SEQPACKET socket, given to <paramref name="action"/> with <paramref name="path"/>'s address; closed if it throws.</summary>
    private static ControlSocket WithAddress(string path, AddressAction action)
    {
        var fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw SyscallException.FromLastError("socket");
        var socket = new ControlSocket(fd);
        try
        {
            var addr = Address(path, out var length);
            action(fd, &addr, length);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts a connection on a listening socket that poll reported readable; null if it is gone already.</summary>
    public ControlSocket? Accept()
    {
        var fd = Libc.accept4(Fd, null, null, Libc.SOCK_CLOEXEC);
        return fd >= 0 ? new ControlSocket(fd) : null;
    }

    /// <summary>Who is at the other end (SO_PEERCRED); null if the kernel does not say.</summary>
    public PeerCredentials? Peer() => PeerCredentials.Read(Fd, out _);

    private static Libc.sockaddr_un Address(string path, out uint length)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= Libc.SunPathLength)
            throw new ArgumentException($"socket path is {bytes.Length} bytes; at most {Libc.SunPathLength - 1} fit in sockaddr_un", nameof(path));
        var addr = new Libc.sockaddr_un { sun_family = Libc.AF_UNIX };
        bytes.CopyTo(new Span<byte>(addr.sun_path, Libc.SunPathLength));
        length = (uint)(sizeof(ushort) + bytes.Length + 1);
        return addr;
    }

    /// <summary>Wraps an inherited descriptor (owned), made close-on-exec again.</summary>
    public static ControlSocket FromDescriptor(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        _ = Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        return new ControlSocket(fd);
    }

    /// <summary>Lets a child process started next inherit this descriptor (clears FD_CLOEXEC).</summary>
    public void InheritByChildren()
    {
        if (Libc.fcntl(Fd, Libc.F_SETFD, 0) != 0)
            throw SyscallException.FromLastError("fcntl(F_SETFD)");
    }

    /// <summary>Sends <paramref name="text"/> with <paramref name="fds"/> (blocking; the peer reads continuously).</summary>
    /// <exception cref="SyscallException">The peer is gone (EPIPE, ECONNRESET) or the call failed.</exception>
    public void Send(string text, ReadOnlySpan<int> fds = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (fds.Length > MaxFds)
            throw new ArgumentException($"at most {MaxFds} descriptors per message", nameof(fds));
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length is 0 or > MaxMessageBytes)
            throw new ArgumentException($"a message is 1 to {MaxMessageBytes} bytes", nameof(text));
        var control = stackalloc byte[Math.Max(Libc.RightsSpace(fds.Length), 1)];
        fixed (byte* p = bytes)
        {
            var iov = new Libc.iovec { iov_base = p, iov_len = (nuint)bytes.Length };
            var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1 };
            Libc.PutRights(&msg, control, fds);
            while (Libc.sendmsg(Fd, &msg, Libc.MSG_NOSIGNAL) < 0)
            {
                if (Marshal.GetLastPInvokeError() != Libc.EINTR)
                    throw SyscallException.FromLastError("sendmsg(control)");
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) for a message. Returns null when the peer closed its end
    /// and nothing is left, or on time-out (<paramref name="timedOut"/>). Descriptors that came along are the caller's.
    /// </summary>
    public (string Text, int[] Fds)? Receive(int timeoutMs, out bool timedOut)
    {
        timedOut = false;
        var pfd = new Libc.pollfd { fd = Fd, events = Libc.POLLIN };
        while (true)
        {
            var rc = Libc.poll(&pfd, 1, timeoutMs);
            if (rc > 0)
                break;
            if (rc == 0)
            {
                timedOut = true;
                return null;
            }
            if (Marshal.GetLastPInvokeError() != Libc.EINTR)
                throw SyscallException.FromLastError("poll(control)");
        }
        var buffer = stackalloc byte[MaxMessageBytes];
        var controlLength = (int)Libc.CMSG_SPACE(MaxFds * sizeof(int));
        var control = stackalloc byte[controlLength];
        var iov = new Libc.iovec { iov_base = buffer, iov_len = MaxMessageBytes };
        var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = (nuint)controlLength };
        nint n;
        while ((n = Libc.recvmsg(Fd, &msg, Libc.MSG_CMSG_CLOEXEC)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.ECONNRESET)
                return null;
            throw new SyscallException("recvmsg(control)", errno);
        }
        var fds = new List<int>();
        Libc.TakeRights(&msg, fds.Add);
        if (n == 0 && fds.Count == 0)
            return null;
        return (Encoding.UTF8.GetString(buffer, (int)n), fds.ToArray());
    }

    /// <summary>Closes the descriptor.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            _ = Libc.close(fd);
    }
}
