namespace Ballast.Balloon.Device;

/// <summary>
/// Queue indexes, VIRTIO 1.2 §5.5.2: inflateq, deflateq, then statsq only if VIRTIO_BALLOON_F_STATS_VQ is
/// offered. Queues of features not offered are skipped, as QEMU, Firecracker and Linux number them.
/// </summary>
public static class BalloonQueue
{
    /// <summary>inflateq: pages the guest gives up.</summary>
    public const int Inflate = 0;

    /// <summary>deflateq: pages the guest takes back.</summary>
    public const int Deflate = 1;

    /// <summary>statsq, present only with STATS_VQ.</summary>
    public const int Stats = 2;
}
