using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Ballast.Cli.Interop;

namespace Ballast.Cli.Serve;

/// <summary>
/// The file-system side of the daemon's Unix sockets: claiming a path (a stale socket left by a crash is
/// replaced; a live one or any other file is not), restricting it to the owner, and removing it.
/// </summary>
public static class UnixSocketFile
{
    /// <summary>Longest path a Unix socket can have: sun_path is 108 bytes with the terminating NUL (unix(7)).</summary>
    public const int MaxPathBytes = 107;

    /// <summary>Owner read and write only: 0600.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

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
        if (Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, out var st) != 0)
            return false;
        return (st.stx_mode & Libc.S_IFMT) == Libc.S_IFSOCK;
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
    /// Sets <paramref name="path"/> to mode 0600 and checks that it took: only the owner (and root) may connect.
    /// Throws <see cref="IOException"/> if the mode is not 0600 afterwards.
    /// </summary>
    public static void RestrictToOwner(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Unix socket modes need Linux");
        File.SetUnixFileMode(path, OwnerOnly);
        var mode = File.GetUnixFileMode(path);
        if (mode != OwnerOnly)
            throw new IOException($"could not restrict '{path}' to its owner: its mode is {Convert.ToString((int)mode, 8)}, not 600");
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

    /// <summary>
    /// The user id of the process at the other end of a connected Unix socket (SO_PEERCRED, unix(7)), or null
    /// if the kernel does not say.
    /// </summary>
    public static uint? PeerUserId(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> buffer = stackalloc byte[Marshal.SizeOf<Libc.ucred_t>()];
        try
        {
            var length = socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERCRED, buffer);
            return length == buffer.Length ? MemoryMarshal.Read<Libc.ucred_t>(buffer).uid : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>This process's effective user id.</summary>
    public static uint EffectiveUserId => Libc.geteuid();
}
