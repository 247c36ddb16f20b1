namespace Ballast.Balloon.Device;

/// <summary>
/// Balloon feature bits, VIRTIO 1.2 §5.5.3, plus Ballast's non-standard scatter-gather bit.
/// </summary>
public static class BalloonFeatures
{
    /// <summary>VIRTIO_BALLOON_F_MUST_TELL_HOST (0): the host must be told before pages are reused.</summary>
    public const int MustTellHost = 0;

    /// <summary>VIRTIO_BALLOON_F_STATS_VQ (1): a virtqueue for guest memory statistics.</summary>
    public const int StatsVq = 1;

    /// <summary>VIRTIO_BALLOON_F_DEFLATE_ON_OOM (2): the guest deflates when it runs out of memory.</summary>
    public const int DeflateOnOom = 2;

    /// <summary>
    /// VIRTIO_BALLOON_F_FREE_PAGE_HINT (3): never offered by Ballast. It serves the VMM's own live migration (the
    /// hypervisor asks the guest for hints while it copies guest RAM, to skip free pages), which a vhost-user back-end
    /// neither runs nor sees. Named because the seed's F_SG used bit 3.
    /// </summary>
    public const int FreePageHint = 3;

    /// <summary>
    /// VIRTIO_BALLOON_F_PAGE_POISON (4), VIRTIO 1.2 §5.5.6.5 "Page Poison": the guest initializes free pages with
    /// <c>poison_val</c> (config space) and expects reported pages to keep that value. Offered on request
    /// (<see cref="BalloonDeviceOptions.PagePoison"/>).
    /// </summary>
    public const int PagePoison = 4;

    /// <summary>
    /// VIRTIO_BALLOON_F_PAGE_REPORTING (5), VIRTIO 1.2 §5.5.6.6 "Free Page Reporting": reporting_vq, on which the guest
    /// lends free pages to the host until the buffer is returned. Offered on request
    /// (<see cref="BalloonDeviceOptions.PageReporting"/>).
    /// </summary>
    public const int PageReporting = 5;

    /// <summary>
    /// Ballast's VIRTIO_BALLOON_F_SG: NOT standard. The seed (v20, 2017) used bit 3, which the spec later gave
    /// to FREE_PAGE_HINT, and crosvm claims 6–8; Ballast uses the last device-specific bit (0–23 are the
    /// device's, §6) by default. Configurable so a guest built with the seed's header can use 3.
    /// </summary>
    public const int DefaultSgBit = 23;

    /// <summary>Largest SG run: the seed's max_len, round_down(UINT_MAX, 4 KiB) = 4 GiB − 4 KiB.</summary>
    public const uint MaxSgLength = 0xFFFF_F000;
}
