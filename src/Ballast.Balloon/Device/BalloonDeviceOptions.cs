namespace Ballast.Balloon.Device;

/// <summary>What the balloon device offers and how it releases memory.</summary>
public sealed record BalloonDeviceOptions
{
    /// <summary>Offer VIRTIO_BALLOON_F_MUST_TELL_HOST (QEMU and Firecracker do not; crosvm does).</summary>
    public bool MustTellHost { get; init; }

    /// <summary>Offer VIRTIO_BALLOON_F_STATS_VQ (and so a third queue).</summary>
    public bool StatsQueue { get; init; } = true;

    /// <summary>Offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM.</summary>
    public bool DeflateOnOom { get; init; } = true;

    /// <summary>
    /// Offer VIRTIO_BALLOON_F_PAGE_REPORTING (and so one more queue, reporting_vq): free pages the guest reports are
    /// released at once and the buffer returned after (VIRTIO 1.2 §5.5.6.6). Off by default, as in QEMU.
    /// </summary>
    public bool PageReporting { get; init; }

    /// <summary>
    /// Offer VIRTIO_BALLOON_F_PAGE_POISON: the guest tells poison_val (VIRTIO 1.2 §5.5.6.5), and reported pages are not
    /// released while it is not 0 (a released page reads back as zeros).
    /// </summary>
    public bool PagePoison { get; init; }

    /// <summary>Offer Ballast's non-standard scatter-gather feature on <see cref="SgBit"/>.</summary>
    public bool ScatterGather { get; init; }

    /// <summary>Feature bit for SG; 3–23 (device-specific bits), default <see cref="BalloonFeatures.DefaultSgBit"/>.</summary>
    public int SgBit { get; init; } = BalloonFeatures.DefaultSgBit;

    /// <summary>PFN-mode release policy.</summary>
    public ReleasePolicy Release { get; init; } = ReleasePolicy.Coalesce;

    /// <summary>
    /// Return inflate buffers before the memory behind them is released, and release it on another thread
    /// (<see cref="ReleasePolicy.Coalesce"/> only). The guest's inflate no longer waits for the host kernel's
    /// freeing, which then overlaps the guest's next batch; <c>actual</c> may lead the host's release by the
    /// releases still queued (<see cref="BalloonDevice.PendingReleaseBytes"/>). Safe only if the guest tells the
    /// device before it reuses a deflated page, so it takes effect only when the driver negotiated
    /// VIRTIO_BALLOON_F_MUST_TELL_HOST (VIRTIO 1.2 §5.5.6.1: without it the driver MAY reuse pages before the
    /// device acknowledged their withdrawal) and requires <see cref="MustTellHost"/> to be offered.
    /// Every deflate, reset, queue stop and memory change waits for the queued releases first.
    /// </summary>
    public bool DeferRelease { get; init; }

    /// <summary>What the device releases on huge-page guest RAM (whole host pages by default).</summary>
    public ReleaseGranularity Granularity { get; init; } = ReleaseGranularity.HostPage;

    /// <summary>Offer VIRTIO_F_EVENT_IDX.</summary>
    public bool EventIdx { get; init; } = true;

    /// <summary>Offer VIRTIO_F_INDIRECT_DESC.</summary>
    public bool IndirectDescriptors { get; init; } = true;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> for an SG bit that collides with a standard bit we use (or
    /// offer: PAGE_POISON is 4, PAGE_REPORTING 5), and
    /// <see cref="ArgumentException"/> for <see cref="DeferRelease"/> without MUST_TELL_HOST or coalescing.
    /// </summary>
    public void Validate()
    {
        // Bits 0–2 are features we may offer; 24 and up belong to the transport (VIRTIO 1.2 §6).
        if (SgBit is < BalloonFeatures.FreePageHint or > 23)
            throw new ArgumentOutOfRangeException(nameof(SgBit), SgBit,
                "the SG feature bit must be a device-specific bit from 3 to 23 (0-2 are MUST_TELL_HOST, STATS_VQ, DEFLATE_ON_OOM)");
        if (ScatterGather && ((PagePoison && SgBit == BalloonFeatures.PagePoison) || (PageReporting && SgBit == BalloonFeatures.PageReporting)))
            throw new ArgumentOutOfRangeException(nameof(SgBit), SgBit,
                "the SG feature bit must not be one offered already (4 is PAGE_POISON, 5 is PAGE_REPORTING)");
        if (DeferRelease && !MustTellHost)
            throw new ArgumentException(
                "deferred release needs MUST_TELL_HOST offered: without it the guest may reuse deflated pages before a queued release ran (VIRTIO 1.2 §5.5.6.1)",
                nameof(DeferRelease));
        if (DeferRelease && Release != ReleasePolicy.Coalesce)
            throw new ArgumentException("deferred release works on coalesced runs: use the coalesce release policy", nameof(DeferRelease));
    }
}
