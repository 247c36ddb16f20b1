namespace Ballast.Linux;

/// <summary>
/// Who may connect to one of the daemon's Unix sockets, enforced twice. First by the socket file: connect(2) needs
/// write permission on it, so it is created mode 0600 (0660 with <see cref="Group"/>), owned by the daemon's user
/// (or <see cref="User"/>), before the socket listens (<see cref="UnixSocketFile.Restrict"/>). Then by the kernel's
/// record of who connected (<see cref="PeerCredentials"/>, SO_PEERCRED), checked for every accepted connection
/// with <see cref="Allows"/>: the daemon's own user, root, <see cref="User"/>, and members of <see cref="Group"/>.
/// </summary>
/// <remarks>
/// Root is always allowed: it can connect whatever the file's mode is and could take the daemon over anyway
/// (ptrace, /proc/PID/mem); refusing it would only break QEMU started by root. A peer whose credentials cannot
/// be read is refused. One user and one group at most: the socket file has one owner and one group, and the two
/// checks are meant to agree — several users share a group.
/// </remarks>
public sealed record SocketAccess
{
    /// <summary>Owner read and write: 0600.</summary>
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner and group read and write: 0660.</summary>
    public const UnixFileMode OwnerAndGroupReadWrite = OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>The daemon's own user and root only; mode 0600.</summary>
    public static SocketAccess OwnerOnly { get; } = new();

    /// <summary>Another user allowed in (e.g. the one QEMU runs as); the socket file is given to it (needs root).</summary>
    public uint? User { get; init; }

    /// <summary>A group whose members are allowed in (primary or supplementary); the socket file gets it and mode 0660.</summary>
    public uint? Group { get; init; }

    /// <summary>The socket file's mode: 0600, or 0660 with a <see cref="Group"/>.</summary>
    public UnixFileMode Mode => Group is null ? OwnerReadWrite : OwnerAndGroupReadWrite;

    /// <summary>
    /// Whether <paramref name="peer"/> may use a socket of a daemon running as <paramref name="ownUserId"/>. Unknown
    /// credentials (null) are refused.
    /// </summary>
    public bool Allows(PeerCredentials? peer, uint ownUserId) =>
        peer is not null
        && (peer.UserId == ownUserId || peer.UserId == 0 || peer.UserId == User || (Group is { } group && peer.IsInGroup(group)));

    /// <summary>Who is allowed, for log lines: "uid 1000, uid 0, gid 107".</summary>
    public string Describe(uint ownUserId)
    {
        var who = new List<string> { $"uid {ownUserId}" };
        if (ownUserId != 0)
            who.Add("uid 0");
        if (User is { } user && user != ownUserId && user != 0)
            who.Add($"uid {user}");
        if (Group is { } group)
            who.Add($"gid {group}");
        return string.Join(", ", who);
    }
}
