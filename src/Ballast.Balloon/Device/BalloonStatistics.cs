namespace Ballast.Balloon.Device;

/// <summary>
/// One snapshot of guest statistics: each known tag's value, or null if the guest did not send it in the
/// last buffer (all values are reset to "unset" on each update, as QEMU does).
/// </summary>
public sealed class BalloonStatistics
{
    /// <summary>Number of known tags (0–15).</summary>
    public const int TagCount = 16;

    /// <summary>Bytes per wire entry: le16 tag + le64 val, packed (VIRTIO 1.2 §5.5.6.3).</summary>
    public const int EntrySize = 10;

    private readonly ulong?[] _values;

    internal BalloonStatistics(ulong?[] values, DateTimeOffset updatedAt, int unknownTags)
    {
        _values = values;
        UpdatedAt = updatedAt;
        UnknownTags = unknownTags;
    }

    /// <summary>When the guest's buffer arrived.</summary>
    public DateTimeOffset UpdatedAt { get; }

    /// <summary>Entries with tags Ballast does not know (ignored).</summary>
    public int UnknownTags { get; }

    /// <summary>The value of <paramref name="tag"/>, or null if not reported.</summary>
    public ulong? this[StatTag tag] => (ushort)tag < TagCount ? _values[(ushort)tag] : null;

    /// <summary>The snake_case name used by the management API for <paramref name="tag"/>.</summary>
    public static string ApiName(StatTag tag) => tag switch
    {
        StatTag.SwapIn => "swap_in",
        StatTag.SwapOut => "swap_out",
        StatTag.MajorFaults => "major_faults",
        StatTag.MinorFaults => "minor_faults",
        StatTag.FreeMemory => "free_memory",
        StatTag.TotalMemory => "total_memory",
        StatTag.AvailableMemory => "available_memory",
        StatTag.DiskCaches => "disk_caches",
        StatTag.HugetlbAllocations => "hugetlb_allocations",
        StatTag.HugetlbFailures => "hugetlb_failures",
        StatTag.OomKills => "oom_kills",
        StatTag.AllocStalls => "alloc_stalls",
        StatTag.AsyncScans => "async_scans",
        StatTag.DirectScans => "direct_scans",
        StatTag.AsyncReclaims => "async_reclaims",
        StatTag.DirectReclaims => "direct_reclaims",
        _ => throw new ArgumentOutOfRangeException(nameof(tag), tag, "unknown statistic tag"),
    };

    /// <summary>
    /// Parses whole 10-byte entries from <paramref name="buffer"/>. Unknown tags are counted and ignored;
    /// a later entry with the same tag wins.
    /// </summary>
    public static BalloonStatistics Parse(ReadOnlySpan<byte> buffer, DateTimeOffset updatedAt)
    {
        var values = new ulong?[TagCount];
        var unknown = 0;
        for (var off = 0; off + EntrySize <= buffer.Length; off += EntrySize)
        {
            var tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(buffer[off..]);
            var val = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(buffer[(off + 2)..]);
            if (tag < TagCount)
                values[tag] = val;
            else
                unknown++;
        }
        return new BalloonStatistics(values, updatedAt, unknown);
    }
}
