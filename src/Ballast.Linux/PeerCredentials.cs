using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// Who is at the other end of a connected Unix socket, as the kernel recorded it when the peer called connect(2):
/// unix(7) SO_PEERCRED (pid, uid, gid) and SO_PEERGROUPS (the supplementary groups, Linux 4.13). The peer cannot
/// forge these: they are the credentials of the process that connected, not anything it sent.
/// </summary>
public sealed class PeerCredentials
{
    /// <summary>Supplementary groups read at most (a peer in more is judged by its primary group alone).</summary>
    private const int MaxGroups = 1024;

    /// <summary>Credentials as given.</summary>
    public PeerCredentials(int processId, uint userId, uint groupId, IReadOnlyList<uint>? groups = null)
    {
        ProcessId = processId;
        UserId = userId;
        GroupId = groupId;
        Groups = groups ?? [];
    }

    /// <summary>The peer's process id (ucred.pid) when it connected.</summary>
    public int ProcessId { get; }

    /// <summary>Its effective user id (ucred.uid).</summary>
    public uint UserId { get; }

    /// <summary>Its effective group id (ucred.gid).</summary>
    public uint GroupId { get; }

    /// <summary>Its supplementary groups; empty if the kernel does not say.</summary>
    public IReadOnlyList<uint> Groups { get; }

    /// <summary>True if <paramref name="groupId"/> is the peer's primary group or one of its supplementary groups.</summary>
    public bool IsInGroup(uint groupId) => GroupId == groupId || Groups.Contains(groupId);

    /// <summary>The peer of a .NET <paramref name="socket"/> (the management API's connections); null if the kernel does not say.</summary>
    public static PeerCredentials? Read(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> cred = stackalloc byte[Marshal.SizeOf<Libc.ucred>()];
        try
        {
            if (socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERCRED, cred) != cred.Length)
                return null;
        }
        catch (SocketException)
        {
            return null;
        }
        var groups = new byte[MaxGroups * sizeof(uint)];
        int length;
        try
        {
            length = socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERGROUPS, groups);
        }
        catch (SocketException)
        {
            length = 0; // a kernel before 4.13, or more than MaxGroups: the primary group only
        }
        return Parse(cred, groups.AsSpan(0, length));
    }

    /// <summary>The peer of the connected socket <paramref name="fd"/>; null (with errno) if the kernel does not say.</summary>
    internal static unsafe PeerCredentials? Read(int fd, out int errno)
    {
        Libc.ucred cred;
        var length = (uint)sizeof(Libc.ucred);
        if (Libc.getsockopt(fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &cred, &length) != 0 || length != (uint)sizeof(Libc.ucred))
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        var groups = new uint[MaxGroups];
        var groupsLength = (uint)(groups.Length * sizeof(uint));
        fixed (uint* p = groups)
        {
            if (Libc.getsockopt(fd, Libc.SOL_SOCKET, Libc.SO_PEERGROUPS, p, &groupsLength) != 0)
                groupsLength = 0; // a kernel before 4.13, or more than MaxGroups (ERANGE): the primary group only
        }
        return new PeerCredentials(cred.pid, cred.uid, cred.gid, groups.AsSpan(0, (int)(groupsLength / sizeof(uint))).ToArray());
    }

    private static PeerCredentials Parse(ReadOnlySpan<byte> cred, ReadOnlySpan<byte> groups)
    {
        var ids = new uint[groups.Length / sizeof(uint)];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = BinaryPrimitives.ReadUInt32LittleEndian(groups[(i * sizeof(uint))..]);
        var c = MemoryMarshal.Read<Libc.ucred>(cred);
        return new PeerCredentials(c.pid, c.uid, c.gid, ids);
    }

    /// <summary>"pid P uid U gid G", for log lines.</summary>
    public override string ToString() => $"pid {ProcessId} uid {UserId} gid {GroupId}";
}
