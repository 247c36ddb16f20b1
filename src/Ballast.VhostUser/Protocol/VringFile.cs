namespace Ballast.VhostUser.Protocol;

/// <summary>
/// The u64 payload of SET_VRING_KICK, SET_VRING_CALL and SET_VRING_ERR, vhost-user.rst: "Bits (0-7) of the
/// payload contain the vring index. Bit 8 is the invalid FD flag. This flag is set when there is no file
/// descriptor in the ancillary data."
/// <code>
///  63 .............. 9 |    8    | 7 ........ 0
///  +-------------------+---------+-------------+
///  |    must be 0      |  no fd  | vring index |
///  +-------------------+---------+-------------+
/// </code>
/// </summary>
internal readonly record struct VringFile(uint Index, bool NoFd)
{
    /// <summary>VHOST_USER_VRING_IDX_MASK.</summary>
    public const ulong IndexMask = 0xff;

    /// <summary>VHOST_USER_VRING_NOFD_MASK.</summary>
    public const ulong NoFdMask = 0x100;

    /// <summary>Decodes the u64; returns false if bits above 8 are set.</summary>
    public static bool TryDecode(ulong value, out VringFile file)
    {
        file = new VringFile((uint)(value & IndexMask), (value & NoFdMask) != 0);
        return (value & ~(IndexMask | NoFdMask)) == 0;
    }

    /// <summary>Encodes as the u64 payload.</summary>
    public ulong Encode() => (Index & IndexMask) | (NoFd ? NoFdMask : 0);
}
