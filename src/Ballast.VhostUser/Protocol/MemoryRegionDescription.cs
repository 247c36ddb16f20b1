using System.Buffers.Binary;

namespace Ballast.VhostUser.Protocol;

/// <summary>
/// One region of vhost-user.rst "Memory regions description" (VhostUserMemoryRegion): guest RAM at
/// <see cref="GuestPhysAddr"/>, mapped by the front-end at <see cref="UserspaceAddr"/>, found at
/// <see cref="MmapOffset"/> in the file descriptor sent alongside.
/// <code>
///  0                 8                16                24                32
///  +-----------------+-----------------+-----------------+-----------------+
///  | guest_phys_addr |   memory_size   | userspace_addr  |   mmap_offset   |   (u64 each)
///  +-----------------+-----------------+-----------------+-----------------+
/// </code>
/// </summary>
internal readonly record struct MemoryRegionDescription(ulong GuestPhysAddr, ulong MemorySize, ulong UserspaceAddr, ulong MmapOffset)
{
    /// <summary>Bytes on the wire.</summary>
    public const int WireSize = 32;

    /// <summary>Offsets of the fields.</summary>
    public const int GuestPhysAddrOffset = 0, MemorySizeOffset = 8, UserspaceAddrOffset = 16, MmapOffsetOffset = 24;

    public static MemoryRegionDescription Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source[GuestPhysAddrOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[MemorySizeOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[UserspaceAddrOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[MmapOffsetOffset..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination[GuestPhysAddrOffset..], GuestPhysAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[MemorySizeOffset..], MemorySize);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[UserspaceAddrOffset..], UserspaceAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[MmapOffsetOffset..], MmapOffset);
    }
}
