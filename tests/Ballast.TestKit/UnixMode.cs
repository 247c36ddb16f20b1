using System.Runtime.InteropServices;

namespace Ballast.TestKit;

/// <summary>File modes and owners, for the tests that check the daemon's sockets (0600, or given to a user/group).</summary>
internal static partial class UnixMode
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode OwnerAndGroupReadWrite = OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>nobody/nogroup on Debian.</summary>
    public const uint Nobody = 65534;

    /// <summary>True when the tests run as root (needed to give a file to another user).</summary>
    public static bool IsRoot => geteuid() == 0;

    public static UnixFileMode Of(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("Unix file modes") : File.GetUnixFileMode(path);

    /// <summary>The file's owner and group (lstat, through statx: uid at 20, gid at 24 of struct statx).</summary>
    public static (uint Uid, uint Gid) OwnerOf(string path)
    {
        var buffer = new byte[256];
        Assert.Equal(0, statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x8 | 0x10 /* STATX_UID | STATX_GID */, buffer));
        return (BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt32(buffer, 24));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string pathname, int flags, uint mask, [Out] byte[] statxbuf);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
