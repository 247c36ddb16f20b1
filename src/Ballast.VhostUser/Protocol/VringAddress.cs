using System.Buffers.Binary;

namespace Ballast.VhostUser.Protocol;

/// <summary>
/// vhost-user.rst "A vring address description" (struct vhost_vring_addr), the payload of SET_VRING_ADDR.
/// "Note that a ring address is an IOVA if VIRTIO_F_IOMMU_PLATFORM has been negotiated. Otherwise it is a user
/// address": a virtual address in the front-end's process, translated through the memory table's
/// userspace_addr (§"Memory access": "User addresses map to the vhost memory region containing that user address").
/// <code>
///  0        4        8                16               24               32               40
///  +--------+--------+----------------+----------------+----------------+----------------+
///  | index  | flags  | desc_user_addr | used_user_addr | avail_user_addr| log_guest_addr |
///  +--------+--------+----------------+----------------+----------------+----------------+
///   u32      u32      u64              u64              u64              u64
///  flags: bit 0 = VHOST_VRING_F_LOG (log used-ring writes at log_guest_addr; migration only)
/// </code>
/// </summary>
internal readonly record struct VringAddress(uint Index, uint Flags, ulong DescriptorUserAddr, ulong UsedUserAddr,
    ulong AvailableUserAddr, ulong LogGuestAddr)
{
    /// <summary>Bytes on the wire.</summary>
    public const int WireSize = 40;

    /// <summary>Offsets of the fields.</summary>
    public const int IndexOffset = 0, FlagsOffset = 4, DescriptorOffset = 8, UsedOffset = 16, AvailableOffset = 24, LogOffset = 32;

    /// <summary>VHOST_VRING_F_LOG (bit 0 of flags).</summary>
    public const uint FlagLog = 1;

    public static VringAddress Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source[IndexOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[FlagsOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[DescriptorOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[UsedOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[AvailableOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[LogOffset..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[IndexOffset..], Index);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FlagsOffset..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[DescriptorOffset..], DescriptorUserAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[UsedOffset..], UsedUserAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[AvailableOffset..], AvailableUserAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[LogOffset..], LogGuestAddr);
    }
}
