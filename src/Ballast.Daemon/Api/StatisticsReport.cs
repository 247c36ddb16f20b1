using Ballast.Balloon.Device;

namespace Ballast.Daemon.Api;

/// <summary>
/// <c>GET /balloon/statistics</c>: the guest's last statistics, each under its
/// <see cref="BalloonStatistics.ApiName"/> (<c>swap_in</c> … <c>direct_reclaims</c>) and null when the guest did
/// not report it, plus <c>updated_at</c> (ISO 8601, when the guest's buffer arrived) and <c>polling_interval_s</c>.
/// Memory figures are bytes; faults, allocations, kills, stalls, scans and reclaims are counts.
/// </summary>
public sealed class StatisticsReport
{
    /// <summary>VIRTIO_BALLOON_S_SWAP_IN, bytes.</summary>
    public ulong? SwapIn { get; init; }

    /// <summary>VIRTIO_BALLOON_S_SWAP_OUT, bytes.</summary>
    public ulong? SwapOut { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MAJFLT.</summary>
    public ulong? MajorFaults { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MINFLT.</summary>
    public ulong? MinorFaults { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MEMFREE, bytes.</summary>
    public ulong? FreeMemory { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MEMTOT, bytes.</summary>
    public ulong? TotalMemory { get; init; }

    /// <summary>VIRTIO_BALLOON_S_AVAIL, bytes.</summary>
    public ulong? AvailableMemory { get; init; }

    /// <summary>VIRTIO_BALLOON_S_CACHES, bytes.</summary>
    public ulong? DiskCaches { get; init; }

    /// <summary>VIRTIO_BALLOON_S_HTLB_PGALLOC.</summary>
    public ulong? HugetlbAllocations { get; init; }

    /// <summary>VIRTIO_BALLOON_S_HTLB_PGFAIL.</summary>
    public ulong? HugetlbFailures { get; init; }

    /// <summary>VIRTIO_BALLOON_S_OOM_KILL.</summary>
    public ulong? OomKills { get; init; }

    /// <summary>VIRTIO_BALLOON_S_ALLOC_STALL.</summary>
    public ulong? AllocStalls { get; init; }

    /// <summary>VIRTIO_BALLOON_S_ASYNC_SCAN.</summary>
    public ulong? AsyncScans { get; init; }

    /// <summary>VIRTIO_BALLOON_S_DIRECT_SCAN.</summary>
    public ulong? DirectScans { get; init; }

    /// <summary>VIRTIO_BALLOON_S_ASYNC_RECLAIM.</summary>
    public ulong? AsyncReclaims { get; init; }

    /// <summary>VIRTIO_BALLOON_S_DIRECT_RECLAIM.</summary>
    public ulong? DirectReclaims { get; init; }

    /// <summary>When the guest's statistics buffer arrived.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Seconds between requests for fresh statistics; 0 = the daemon does not ask.</summary>
    public int PollingIntervalS { get; init; }

    /// <summary>The value reported for <paramref name="tag"/>, or null.</summary>
    public ulong? this[StatTag tag] => tag switch
    {
        StatTag.SwapIn => SwapIn,
        StatTag.SwapOut => SwapOut,
        StatTag.MajorFaults => MajorFaults,
        StatTag.MinorFaults => MinorFaults,
        StatTag.FreeMemory => FreeMemory,
        StatTag.TotalMemory => TotalMemory,
        StatTag.AvailableMemory => AvailableMemory,
        StatTag.DiskCaches => DiskCaches,
        StatTag.HugetlbAllocations => HugetlbAllocations,
        StatTag.HugetlbFailures => HugetlbFailures,
        StatTag.OomKills => OomKills,
        StatTag.AllocStalls => AllocStalls,
        StatTag.AsyncScans => AsyncScans,
        StatTag.DirectScans => DirectScans,
        StatTag.AsyncReclaims => AsyncReclaims,
        StatTag.DirectReclaims => DirectReclaims,
        _ => null,
    };

    /// <summary>True for tags whose value is a number of bytes (the others are counts).</summary>
    public static bool IsBytes(StatTag tag) => tag is StatTag.SwapIn or StatTag.SwapOut or StatTag.FreeMemory
        or StatTag.TotalMemory or StatTag.AvailableMemory or StatTag.DiskCaches;

    /// <summary>The report for <paramref name="statistics"/> with the daemon's polling interval.</summary>
    public static StatisticsReport From(BalloonStatistics statistics, int pollingIntervalSeconds)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        return new StatisticsReport
        {
            SwapIn = statistics[StatTag.SwapIn],
            SwapOut = statistics[StatTag.SwapOut],
            MajorFaults = statistics[StatTag.MajorFaults],
            MinorFaults = statistics[StatTag.MinorFaults],
            FreeMemory = statistics[StatTag.FreeMemory],
            TotalMemory = statistics[StatTag.TotalMemory],
            AvailableMemory = statistics[StatTag.AvailableMemory],
            DiskCaches = statistics[StatTag.DiskCaches],
            HugetlbAllocations = statistics[StatTag.HugetlbAllocations],
            HugetlbFailures = statistics[StatTag.HugetlbFailures],
            OomKills = statistics[StatTag.OomKills],
            AllocStalls = statistics[StatTag.AllocStalls],
            AsyncScans = statistics[StatTag.AsyncScans],
            DirectScans = statistics[StatTag.DirectScans],
            AsyncReclaims = statistics[StatTag.AsyncReclaims],
            DirectReclaims = statistics[StatTag.DirectReclaims],
            UpdatedAt = statistics.UpdatedAt,
            PollingIntervalS = pollingIntervalSeconds,
        };
    }
}
