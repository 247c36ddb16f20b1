using System.Runtime.InteropServices;
using System.Text;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// A listening socket this process was started with rather than one it bound: <c>--fd FDNUM</c> (QEMU's
/// docs/interop/vhost-user.rst, "Backend program conventions": "the backend program is started with the vhost-user
/// socket as file descriptor FDNUM") or a systemd socket unit's (<c>LISTEN_FDS</c>, sd_listen_fds(3)).
/// </summary>
/// <remarks>
/// Only a listening AF_UNIX stream socket is accepted; its path is read back with getsockname(2). The descriptor is made
/// close-on-exec: children get what they need through the supervisor, never by accident.
/// </remarks>
public static unsafe class InheritedSocket
{
    /// <summary>
    /// Checks that <paramref name="fd"/> is a listening AF_UNIX stream socket and returns the path it is bound to;
    /// null with <paramref name="error"/> (a sentence) otherwise. A socket without a path (abstract or unnamed) gives
    /// an empty path.
    /// </summary>
    public static string? ListeningPath(int fd, out string? error)
    {
        error = null;
        if (fd < 0)
        {
            error = $"{fd} is not a descriptor";
            return null;
        }
        if (Libc.fcntl(fd, Libc.F_GETFD, 0) < 0)
        {
            error = $"descriptor {fd} is not open";
            return null;
        }
        var stat = stackalloc byte[Libc.StatBufferSize];
        if (Libc.fstat(fd, stat) == 0 && (*(uint*)(stat + Libc.StatModeOffset) & Libc.S_IFMT) != Libc.S_IFSOCK)
        {
            error = $"descriptor {fd} is not a socket";
            return null;
        }
        if (Option(fd, Libc.SO_DOMAIN) != Libc.AF_UNIX || Option(fd, Libc.SO_TYPE) != Libc.SOCK_STREAM)
        {
            error = $"descriptor {fd} is not a Unix stream socket";
            return null;
        }
        if (Option(fd, Libc.SO_ACCEPTCONN) != 1)
        {
            error = $"descriptor {fd} is a socket that is not listening (give a bound, listening socket)";
            return null;
        }
        var addr = new Libc.sockaddr_un();
        var length = (uint)sizeof(Libc.sockaddr_un);
        if (Libc.getsockname(fd, &addr, &length) < 0)
        {
            error = $"getsockname on descriptor {fd} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            return null;
        }
        _ = Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        var pathLength = (int)length - sizeof(ushort);
        if (pathLength <= 0 || addr.sun_path[0] == 0)
            return "";
        var bytes = new ReadOnlySpan<byte>(addr.sun_path, Math.Min(pathLength, Libc.SunPathLength));
        var nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
    }

    private static int Option(int fd, int name)
    {
        var value = 0;
        var length = (uint)sizeof(int);
        return Libc.getsockopt(fd, Libc.SOL_SOCKET, name, &value, &length) == 0 ? value : -1;
    }
}
