using System.Globalization;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// Users and groups by name or number, for <c>--socket-user</c> and <c>--socket-group</c>: a number is taken as an
/// id as it is (as chown(1) does), anything else is looked up (getpwnam_r/getgrnam_r).
/// </summary>
public static unsafe class UnixAccounts
{
    /// <summary>The largest buffer offered to getpwnam_r/getgrnam_r (a group with very many members needs a large one).</summary>
    private const int MaxBuffer = 1 << 20;

    /// <summary>The user id of <paramref name="user"/>, or null with the reason in <paramref name="error"/>.</summary>
    public static uint? UserId(string user, out string? error)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (TryParseId(user, out var id, out error))
            return id;
        if (error is not null)
            return null;
        Libc.passwd_t pwd;
        Libc.passwd_t* result = null;
        int rc;
        var size = 1024;
        do
        {
            var buffer = new byte[size *= 2];
            fixed (byte* p = buffer)
                rc = Libc.getpwnam_r(user, &pwd, p, (nuint)buffer.Length, &result);
        }
        while (rc == Libc.ERANGE && size < MaxBuffer);
        if (rc == 0 && result != null)
            return pwd.pw_uid;
        error = rc == 0 ? $"no user '{user}'" : $"cannot look up user '{user}': {Marshal.GetPInvokeErrorMessage(rc)}";
        return null;
    }

    /// <summary>The group id of <paramref name="group"/>, or null with the reason in <paramref name="error"/>.</summary>
    public static uint? GroupId(string group, out string? error)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (TryParseId(group, out var id, out error))
            return id;
        if (error is not null)
            return null;
        Libc.group_t grp;
        Libc.group_t* result = null;
        int rc;
        var size = 1024;
        do
        {
            var buffer = new byte[size *= 2];
            fixed (byte* p = buffer)
                rc = Libc.getgrnam_r(group, &grp, p, (nuint)buffer.Length, &result);
        }
        while (rc == Libc.ERANGE && size < MaxBuffer);
        if (rc == 0 && result != null)
            return grp.gr_gid;
        error = rc == 0 ? $"no group '{group}'" : $"cannot look up group '{group}': {Marshal.GetPInvokeErrorMessage(rc)}";
        return null;
    }

    /// <summary>A number is an id; an empty name or -1 (chown's "unchanged") is an error; anything else is a name.</summary>
    private static bool TryParseId(string text, out uint id, out string? error)
    {
        error = null;
        id = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "needs a name or a number";
            return false;
        }
        if (!text.All(char.IsAsciiDigit))
            return false;
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id != uint.MaxValue)
            return true;
        error = $"'{text}' is not a valid id";
        return false;
    }
}
