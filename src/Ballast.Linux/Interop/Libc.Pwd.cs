#pragma warning disable CS8981 // C struct names are kept verbatim in Interop

using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// pwd.h, grp.h: user and group names to ids through NSS (LDAP or systemd users resolve as they do for ls). The
// functions return an errno rather than setting it.
internal static unsafe partial class Libc
{
    /// <summary>
    /// <c>struct passwd</c> (pwd.h; "_t" because the C name is all lowercase), 48 bytes on 64-bit Linux:
    /// <code>
    ///  0         8           16       20       24         32       40
    ///  +---------+-----------+--------+--------+----------+--------+----------+
    ///  | pw_name | pw_passwd | pw_uid | pw_gid | pw_gecos | pw_dir | pw_shell |
    ///  +---------+-----------+--------+--------+----------+--------+----------+
    /// </code>
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 48)]
    public struct passwd_t
    {
        [FieldOffset(16)] public uint pw_uid;
        [FieldOffset(20)] public uint pw_gid;
    }

    /// <summary>
    /// <c>struct group</c> (grp.h), 32 bytes on 64-bit Linux: char *gr_name, char *gr_passwd, gid_t gr_gid (then
    /// 4 bytes of padding), char **gr_mem.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 32)]
    public struct group_t
    {
        [FieldOffset(16)] public uint gr_gid;
    }

    /// <summary>getpwnam_r(3): 0 with <paramref name="result"/> null if there is no such user; ERANGE if <paramref name="buf"/> is too small.</summary>
    [LibraryImport(LibC, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int getpwnam_r(string name, passwd_t* pwd, byte* buf, nuint buflen, passwd_t** result);

    /// <summary>getgrnam_r(3): as <see cref="getpwnam_r"/>, for groups.</summary>
    [LibraryImport(LibC, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int getgrnam_r(string name, group_t* grp, byte* buf, nuint buflen, group_t** result);
}
