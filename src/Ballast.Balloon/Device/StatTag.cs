namespace Ballast.Balloon.Device;

/// <summary>
/// Statistic tags, VIRTIO 1.2 §5.5.6.3 (0–9) and Linux ≥ 6.12 (10–15, include/uapi/linux/virtio_balloon.h).
/// Each stats entry on the wire is 10 bytes: le16 tag, le64 val (packed).
/// </summary>
public enum StatTag : ushort
{
    /// <summary>VIRTIO_BALLOON_S_SWAP_IN: bytes swapped in.</summary>
    SwapIn = 0,
    /// <summary>VIRTIO_BALLOON_S_SWAP_OUT: bytes swapped out.</summary>
    SwapOut = 1,
    /// <summary>VIRTIO_BALLOON_S_MAJFLT: major page faults.</summary>
    MajorFaults = 2,
    /// <summary>VIRTIO_BALLOON_S_MINFLT: minor page faults.</summary>
    MinorFaults = 3,
    /// <summary>VIRTIO_BALLOON_S_MEMFREE: free memory, bytes.</summary>
    FreeMemory = 4,
    /// <summary>VIRTIO_BALLOON_S_MEMTOT: total memory, bytes.</summary>
    TotalMemory = 5,
    /// <summary>VIRTIO_BALLOON_S_AVAIL: available memory (MemAvailable), bytes.</summary>
    AvailableMemory = 6,
    /// <summary>VIRTIO_BALLOON_S_CACHES: disk caches, bytes.</summary>
    DiskCaches = 7,
    /// <summary>VIRTIO_BALLOON_S_HTLB_PGALLOC: hugetlb page allocations.</summary>
    HugetlbAllocations = 8,
    /// <summary>VIRTIO_BALLOON_S_HTLB_PGFAIL: hugetlb allocation failures.</summary>
    HugetlbFailures = 9,
    /// <summary>VIRTIO_BALLOON_S_OOM_KILL (Linux ≥ 6.12).</summary>
    OomKills = 10,
    /// <summary>VIRTIO_BALLOON_S_ALLOC_STALL (Linux ≥ 6.12).</summary>
    AllocStalls = 11,
    /// <summary>VIRTIO_BALLOON_S_ASYNC_SCAN (Linux ≥ 6.12).</summary>
    AsyncScans = 12,
    /// <summary>VIRTIO_BALLOON_S_DIRECT_SCAN (Linux ≥ 6.12).</summary>
    DirectScans = 13,
    /// <summary>VIRTIO_BALLOON_S_ASYNC_RECLAIM (Linux ≥ 6.12).</summary>
    AsyncReclaims = 14,
    /// <summary>VIRTIO_BALLOON_S_DIRECT_RECLAIM (Linux ≥ 6.12).</summary>
    DirectReclaims = 15,
}
