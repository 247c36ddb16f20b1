using Ballast.Virtio;

namespace Ballast.Balloon.Device;

/// <summary>
/// Queue indexes, VIRTIO 1.2 §5.5.2 "Virtqueues": 0 inflateq, 1 deflateq, 2 statsq, 3 free_page_vq, 4 reporting_vq,
/// where "statsq only exists if VIRTIO_BALLOON_F_STATS_VQ is set", free_page_vq only with FREE_PAGE_HINT and
/// reporting_vq only with PAGE_REPORTING. The queues that exist are numbered consecutively, as Linux does (6.1
/// <c>init_vqs</c> gives an absent queue no name, and virtio-pci/virtio-mmio skip it): the index of a queue depends on
/// the features the driver accepted. So statsq is 2 whenever it exists, and reporting_vq is 2 (without stats) or 3
/// (with stats; Ballast never offers FREE_PAGE_HINT).
/// </summary>
/// <remarks>
/// QEMU's own virtio-balloon creates statsq always (and free_page_vq/reporting_vq by its properties), so there the
/// reporting queue's index follows QEMU's properties, not the negotiation; Ballast follows the spec and Linux. Until
/// the driver has accepted features (and after a reset) the device numbers its queues as if every offered feature
/// were accepted (<see cref="BalloonDevice.QueueLayoutFeatures"/>).
/// </remarks>
public static class BalloonQueue
{
    /// <summary>inflateq: pages the guest gives up.</summary>
    public const int Inflate = 0;

    /// <summary>deflateq: pages the guest takes back.</summary>
    public const int Deflate = 1;

    /// <summary>statsq, present only with STATS_VQ: always right after deflateq.</summary>
    public const int Stats = 2;

    /// <summary>
    /// reporting_vq's index with <paramref name="features"/> accepted (§5.5.2): after statsq and free_page_vq when
    /// they exist.
    /// </summary>
    public static int Reporting(ulong features) =>
        Stats
        + (VirtioFeatures.Has(features, BalloonFeatures.StatsVq) ? 1 : 0)
        + (VirtioFeatures.Has(features, BalloonFeatures.FreePageHint) ? 1 : 0);

    /// <summary>How many queues exist with <paramref name="features"/>: inflateq, deflateq and one per queue feature.</summary>
    public static int Count(ulong features) =>
        Reporting(features) + (VirtioFeatures.Has(features, BalloonFeatures.PageReporting) ? 1 : 0);

    /// <summary>What queue <paramref name="index"/> is with <paramref name="features"/>, or <see cref="BalloonQueueRole.None"/>.</summary>
    public static BalloonQueueRole RoleOf(int index, ulong features)
    {
        if (index is Inflate)
            return BalloonQueueRole.Inflate;
        if (index is Deflate)
            return BalloonQueueRole.Deflate;
        if (index == Stats && VirtioFeatures.Has(features, BalloonFeatures.StatsVq))
            return BalloonQueueRole.Stats;
        if (index == Reporting(features) && VirtioFeatures.Has(features, BalloonFeatures.PageReporting))
            return BalloonQueueRole.Reporting;
        return BalloonQueueRole.None;
    }
}
