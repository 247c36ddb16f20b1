namespace Ballast.Balloon.Device;

/// <summary>What a balloon queue carries (VIRTIO 1.2 §5.5.2); its index follows the features (<see cref="BalloonQueue.RoleOf"/>).</summary>
public enum BalloonQueueRole
{
    /// <summary>No queue of this device at that index with those features.</summary>
    None,

    /// <summary>inflateq.</summary>
    Inflate,

    /// <summary>deflateq.</summary>
    Deflate,

    /// <summary>statsq (VIRTIO_BALLOON_F_STATS_VQ).</summary>
    Stats,

    /// <summary>reporting_vq (VIRTIO_BALLOON_F_PAGE_REPORTING).</summary>
    Reporting,
}
