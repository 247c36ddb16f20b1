using Ballast.Balloon.Device;

namespace Ballast.Simulation.Driver;

/// <summary>How the simulated guest's balloon driver behaves.</summary>
public sealed record BalloonDriverOptions
{
    /// <summary>Accept the SG feature if the device offers it (the seed's driver); otherwise behave like Linux 6.1.</summary>
    public bool UseScatterGather { get; init; } = true;

    /// <summary>Which feature bit means SG (must match the device).</summary>
    public int SgBit { get; init; } = BalloonFeatures.DefaultSgBit;

    /// <summary>Write every page the balloon allocates (Linux init_on_alloc).</summary>
    public bool ZeroOnAlloc { get; init; }

    /// <summary>
    /// Accept VIRTIO_BALLOON_F_PAGE_REPORTING if the device offers it and report free blocks on reporting_vq (Linux
    /// with CONFIG_PAGE_REPORTING). VIRTIO_BALLOON_F_PAGE_POISON is never accepted: the simulated guest neither poisons
    /// nor zeroes freed pages, and Linux accepts it only with page poisoning or init_on_free.
    /// </summary>
    public bool PageReporting { get; init; } = true;

    /// <summary>The smallest order reported (Linux <c>page_reporting_order</c>, pageblock order by default: 2 MiB).</summary>
    public int ReportingOrder { get; init; } = Guest.PageReporting.DefaultOrder;

    /// <summary>Pages given back per OOM notification (Linux oom_pages, 256).</summary>
    public int OomPages { get; init; } = 256;

    /// <summary>
    /// Fault injection for tests: when it returns true for a PFN, recording that page in the bitmap "fails"
    /// (as xb_preload can under memory pressure) and the page goes out as a single-page entry instead.
    /// </summary>
    public Func<ulong, bool>? RecordFault { get; init; }

    /// <summary>How long to wait for the device to return a buffer before declaring it dead.</summary>
    public TimeSpan DeviceTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
