using System.Buffers.Binary;

namespace Ballast.VhostUser.Protocol;

/// <summary>
/// vhost-user.rst "A vring state description" (struct vhost_vring_state): SET_VRING_NUM (num = queue size),
/// SET/GET_VRING_BASE (num = next available index), SET_VRING_ENABLE (num = 0 or 1).
/// <code>
///  0         4         8
///  +---------+---------+
///  |  index  |   num   |   (u32 each)
///  +---------+---------+
/// </code>
/// </summary>
internal readonly record struct VringState(uint Index, uint Num)
{
    /// <summary>Bytes on the wire.</summary>
    public const int WireSize = 8;

    /// <summary>Offsets of the fields.</summary>
    public const int IndexOffset = 0, NumOffset = 4;

    public static VringState Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source[IndexOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[NumOffset..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[IndexOffset..], Index);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[NumOffset..], Num);
    }
}
