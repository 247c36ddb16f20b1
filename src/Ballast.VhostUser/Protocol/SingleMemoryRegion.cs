namespace Ballast.VhostUser.Protocol;

/// <summary>
/// vhost-user.rst "Single memory region description" (VhostUserMemRegMsg), the payload of ADD_MEM_REG and
/// REM_MEM_REG (CONFIGURE_MEM_SLOTS). Ballast does not offer CONFIGURE_MEM_SLOTS; the layout is here so the
/// ABI tests pin it and a hostile ADD_MEM_REG is recognised.
/// <code>
///  0          8                 16            24               32            40
///  +----------+-----------------+-------------+----------------+-------------+
///  | padding  | guest_phys_addr | memory_size | userspace_addr | mmap_offset |   (u64 each)
///  +----------+-----------------+-------------+----------------+-------------+
/// </code>
/// </summary>
internal static class SingleMemoryRegion
{
    /// <summary>Bytes on the wire.</summary>
    public const int WireSize = 8 + MemoryRegionDescription.WireSize;

    /// <summary>Offset of the region after the u64 padding.</summary>
    public const int RegionOffset = 8;

    public static MemoryRegionDescription Read(ReadOnlySpan<byte> source) => MemoryRegionDescription.Read(source[RegionOffset..]);

    public static void Write(Span<byte> destination, in MemoryRegionDescription region)
    {
        destination[..RegionOffset].Clear();
        region.Write(destination[RegionOffset..]);
    }
}
