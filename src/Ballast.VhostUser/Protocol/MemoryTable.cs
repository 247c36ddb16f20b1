using System.Buffers.Binary;

namespace Ballast.VhostUser.Protocol;

/// <summary>
/// vhost-user.rst "Memory regions description" (VhostUserMemory), the payload of SET_MEM_TABLE. QEMU sends
/// only the regions in use: size = 8 + 32 × nregions; the full struct (8 regions, 264 bytes) is accepted too.
/// "The size and ordering of the fds matches the number and ordering of memory regions."
/// <code>
///  0          4          8                   40                        8 + 32 × n
///  +----------+----------+-------------------+-----+-------------------+
///  | nregions | padding  | region 0 (32 B)   | ... | region n-1        |   n ≤ 8
///  +----------+----------+-------------------+-----+-------------------+
///   u32        u32        MemoryRegionDescription
/// </code>
/// </summary>
internal static class MemoryTable
{
    /// <summary>VHOST_MEMORY_BASELINE_NREGIONS: the most regions one SET_MEM_TABLE carries.</summary>
    public const int MaxRegions = 8;

    /// <summary>Bytes before the first region (nregions + padding).</summary>
    public const int HeaderSize = 8;

    /// <summary>Offset of the first region.</summary>
    public const int RegionsOffset = 8;

    /// <summary>Bytes of the whole struct with every slot (QEMU's sizeof(VhostUserMemory)).</summary>
    public const int FullSize = HeaderSize + MaxRegions * MemoryRegionDescription.WireSize;

    /// <summary>Bytes of a table with <paramref name="regions"/> regions as QEMU sends it.</summary>
    public static int WireSize(int regions) => HeaderSize + regions * MemoryRegionDescription.WireSize;

    /// <summary>
    /// Parses a SET_MEM_TABLE payload. Returns null and the regions, or why the payload is malformed
    /// (nregions 0 or above 8, a size that fits neither the regions nor the full struct).
    /// </summary>
    public static string? TryRead(ReadOnlySpan<byte> payload, out MemoryRegionDescription[] regions)
    {
        regions = [];
        if (payload.Length < HeaderSize)
            return $"memory table of {payload.Length} bytes is shorter than its 8-byte header";
        var n = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (n is 0 or > MaxRegions)
            return $"memory table has {n} regions; 1 to {MaxRegions} are allowed";
        if (payload.Length != WireSize((int)n) && payload.Length != FullSize)
            return $"memory table of {n} regions has {payload.Length} bytes; expected {WireSize((int)n)} (or {FullSize})";
        regions = new MemoryRegionDescription[n];
        for (var i = 0; i < regions.Length; i++)
            regions[i] = MemoryRegionDescription.Read(payload[(RegionsOffset + i * MemoryRegionDescription.WireSize)..]);
        return null;
    }

    /// <summary>Writes a table of <paramref name="regions"/> (8 + 32 × n bytes) into <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, ReadOnlySpan<MemoryRegionDescription> regions)
    {
        if (regions.Length is 0 or > MaxRegions)
            throw new ArgumentOutOfRangeException(nameof(regions), regions.Length, $"1 to {MaxRegions} regions");
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)regions.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], 0);
        for (var i = 0; i < regions.Length; i++)
            regions[i].Write(destination[(RegionsOffset + i * MemoryRegionDescription.WireSize)..]);
    }
}
