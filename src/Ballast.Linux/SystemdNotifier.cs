using System.Runtime.InteropServices;
using System.Text;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// sd_notify(3) without libsystemd: datagrams to the service manager's <c>$NOTIFY_SOCKET</c> (a path, or an abstract
/// name written with a leading <c>@</c>), with descriptors attached for its file-descriptor store (<c>FDSTORE=1</c>).
/// </summary>
public sealed unsafe class SystemdNotifier
{
    private readonly byte[] _address;

    private SystemdNotifier(byte[] address) => _address = address;

    /// <summary>The environment variable systemd sets for a service with <c>Type=notify</c> or <c>NotifyAccess=</c>.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>The notifier <c>$NOTIFY_SOCKET</c> names, or null where the process does not run under a service manager.</summary>
    public static SystemdNotifier? FromEnvironment()
    {
        var path = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(path) || (path[0] != '/' && path[0] != '@'))
            return null;
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= Libc.SunPathLength)
            return null;
        if (bytes[0] == (byte)'@')
            bytes[0] = 0; // abstract namespace
        return new SystemdNotifier(bytes);
    }

    /// <summary>
    /// Sends <paramref name="state"/> (newline-separated assignments, e.g. <c>READY=1</c>) with <paramref name="fds"/>.
    /// Returns false if the service manager could not be told (logged by the caller; the daemon runs on).
    /// </summary>
    public bool Notify(string state, ReadOnlySpan<int> fds = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        var fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        try
        {
            var addr = new Libc.sockaddr_un { sun_family = Libc.AF_UNIX };
            _address.CopyTo(new Span<byte>(addr.sun_path, Libc.SunPathLength));
            // An abstract address is exactly as long as its name; a path ends with its NUL.
            var addrLength = (uint)(sizeof(ushort) + _address.Length + (_address[0] == 0 ? 0 : 1));
            var text = Encoding.UTF8.GetBytes(state);
            var control = stackalloc byte[Math.Max(Libc.RightsSpace(fds.Length), 1)];
            fixed (byte* p = text)
            {
                var iov = new Libc.iovec { iov_base = p, iov_len = (nuint)text.Length };
                var msg = new Libc.msghdr { msg_name = &addr, msg_namelen = addrLength, msg_iov = &iov, msg_iovlen = 1 };
                Libc.PutRights(&msg, control, fds);
                while (Libc.sendmsg(fd, &msg, Libc.MSG_NOSIGNAL) < 0)
                {
                    if (Marshal.GetLastPInvokeError() != Libc.EINTR)
                        return false;
                }
            }
            return true;
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }
}
