namespace Ballast.Autopilot;

/// <summary>
/// What the autopilot knows of one guest at a decision: its balloon (from the daemon) and its last statistics
/// (VIRTIO 1.2 §5.5.6.3, as the guest reported them; any may be missing). Everything the guest reports is untrusted.
/// </summary>
/// <param name="Name">The guest (its daemon's API socket, or a configured name).</param>
/// <param name="RamBytes">Guest RAM as the daemon maps it (not reported by the guest).</param>
/// <param name="TargetBytes">The balloon target now set.</param>
/// <param name="ActualBytes">The balloon's size as the guest last wrote it (<c>actual</c>).</param>
public sealed record GuestSample(string Name, long RamBytes, long TargetBytes, long ActualBytes)
{
    /// <summary>When the guest's statistics arrived; null if it never sent any.</summary>
    public DateTimeOffset? StatsAt { get; init; }

    /// <summary>VIRTIO_BALLOON_S_AVAIL, bytes.</summary>
    public ulong? AvailableBytes { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MEMFREE, bytes.</summary>
    public ulong? FreeBytes { get; init; }

    /// <summary>VIRTIO_BALLOON_S_CACHES, bytes.</summary>
    public ulong? CachesBytes { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MAJFLT, a running count.</summary>
    public ulong? MajorFaults { get; init; }

    /// <summary>VIRTIO_BALLOON_S_SWAP_IN, running bytes.</summary>
    public ulong? SwapInBytes { get; init; }

    /// <summary>VIRTIO_BALLOON_S_OOM_KILL, a running count (newer guests only).</summary>
    public ulong? OomKills { get; init; }

    /// <summary>A per-guest floor that replaces the settings' one (bytes the guest always keeps).</summary>
    public long? FloorBytes { get; init; }
}
