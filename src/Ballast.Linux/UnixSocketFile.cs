using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// The file-system side of the daemon's Unix sockets (the vhost-user socket and the management API's): claiming a
/// path (a stale socket left by a crash is replaced; a live one or any other file is not), giving the socket file
/// its owner, group and mode before it listens, and removing it.
/// </summary>
public static class UnixSocketFile
{
    /// <summary>Longest path a Unix socket can have: sun_path is 108 bytes with the terminating NUL (unix(7)).</summary>
    public const int MaxPathBytes = 107;

    /// <summary>This process's effective user id.</summary>
    public static uint EffectiveUserId => Libc.geteuid();

    /// <summary>Why <paramref name="path"/> cannot be a socket path, or null.</summary>
    public static string? PathError(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
            return "needs a file path";
        var bytes = Encoding.UTF8.GetByteCount(Path.GetFullPath(path));
        if (bytes > MaxPathBytes)
            return $"'{path}' is too long for a Unix socket ({bytes} bytes as an absolute path; at most {MaxPathBytes})";
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            return $"the directory '{directory}' does not exist";
        return Directory.Exists(path) ? $"'{path}' is a directory" : null;
    }

    /// <summary>True if <paramref name="path"/> names a socket (not following a final symbolic link).</summary>
    public static bool IsSocket(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Stat(path, out var st) && (st.stx_mode & Libc.S_IFMT) == Libc.S_IFSOCK;
    }

    /// <summary>
    /// Makes <paramref name="path"/> free for a new listening socket: nothing there is fine; a socket nobody
    /// listens on (left by a crashed daemon) is deleted. Throws <see cref="IOException"/> if another process
    /// listens there or the path is some other kind of file.
    /// </summary>
    public static void Claim(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Path.Exists(path))
            return;
        if (!IsSocket(path))
            throw new IOException($"'{path}' exists and is not a socket; not replacing it");
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"another process is listening on '{path}'");
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Stale: bound once, nobody accepts any more.
            }
        }
        File.Delete(path);
    }

    /// <summary>
    /// Gives the socket file at <paramref name="path"/> the owner, group and mode of <paramref name="access"/> and
    /// checks that they took. Call it after bind(2) and before listen(2): until a socket listens, connect(2) to it
    /// is refused, so there is no moment in which it takes connections with the umask's mode.
    /// </summary>
    /// <exception cref="IOException">The owner, group or mode could not be set (chown needs root, chgrp membership).</exception>
    public static void Restrict(string path, SocketAccess access)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(access);
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Unix socket modes need Linux");
        if ((access.User is not null || access.Group is not null)
            && Libc.lchown(path, access.User ?? uint.MaxValue, access.Group ?? uint.MaxValue) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"could not give '{path}' to {Owner(access)}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}; "
                + "a user needs the daemon to run as root, a group that the daemon's user is a member of)");
        }
        File.SetUnixFileMode(path, access.Mode);
        var owner = access.User ?? EffectiveUserId;
        if (!Stat(path, out var st) || (st.stx_mode & Libc.S_IFMT) != Libc.S_IFSOCK || (UnixFileMode)(st.stx_mode & 0xfff) != access.Mode
            || st.stx_uid != owner || (access.Group is { } group && st.stx_gid != group))
        {
            throw new IOException($"could not restrict '{path}': it is not a socket of uid {owner}"
                + (access.Group is { } g ? $" and gid {g}" : "") + $" with mode {Convert.ToString((int)access.Mode, 8)}");
        }
    }

    /// <summary>Deletes <paramref name="path"/> if it is a socket; returns true if it did.</summary>
    public static bool Remove(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!IsSocket(path))
            return false;
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Owner(SocketAccess access) => (access.User, access.Group) switch
    {
        ({ } u, { } g) => $"uid {u} and gid {g}",
        ({ } u, null) => $"uid {u}",
        (null, { } g) => $"gid {g}",
        _ => "nobody",
    };

    private static bool Stat(string path, out Libc.statx_t st) =>
        Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW,
            Libc.STATX_TYPE | Libc.STATX_MODE | Libc.STATX_UID | Libc.STATX_GID, out st) == 0;
}
