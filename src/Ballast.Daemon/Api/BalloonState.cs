namespace Ballast.Daemon.Api;

/// <summary>
/// <c>GET /balloon</c>: <c>{"target_bytes":N,"actual_bytes":N,"ballooned_bytes":N,"guest_bytes":N,"features":[…],"connected":bool,"release_pending_bytes":N,
/// "backing":"4k|thp|hugetlb","host_page_bytes":N,"release_granularity":"host-page|4k","partial_host_page_bytes":N,
/// "reports":N,"reported_entries":N,"reported_bytes":N,"report_released_bytes":N,"report_poison_skipped_bytes":N,
/// "report_malformed_entries":N,"poison_value":N}</c>.
/// </summary>
/// <param name="TargetBytes">num_pages × 4096: what the host asked the guest to give up.</param>
/// <param name="ActualBytes">actual × 4096: what the guest says its balloon holds.</param>
/// <param name="BalloonedBytes">Bytes the device saw inflated and not deflated (its own count, not the guest's word).</param>
/// <param name="GuestBytes">The guest's RAM; 0 with no guest connected.</param>
/// <param name="Features">
/// Balloon features by name (<see cref="BalloonFeatureNames"/>): while a guest is <paramref name="Connected"/>, the
/// ones its driver negotiated (empty until the driver has accepted features); otherwise the ones the device offers.
/// </param>
/// <param name="Connected">True while a guest (QEMU) is connected.</param>
/// <param name="ReleasePendingBytes">
/// Ballooned bytes whose host release is still queued (<c>serve --defer-release</c>); 0 otherwise. Host memory
/// matches the balloon once this is 0.
/// </param>
/// <param name="Backing">What backs guest RAM: <c>4k</c>, <c>thp</c> or <c>hugetlb</c> (see <c>MemoryBacking</c>); 4k with no guest.</param>
/// <param name="HostPageBytes">The host page of that backing: 4096, or the huge page size.</param>
/// <param name="ReleaseGranularity"><c>host-page</c> or <c>4k</c> (<c>serve --release-granularity</c>).</param>
/// <param name="PartialHostPageBytes">
/// Ballooned bytes the host still holds because their huge page is not wholly ballooned (released once it is); 0 on
/// 4 KiB memory.
/// </param>
/// <param name="Reports">Free page reports (reporting queue buffers) received (VIRTIO 1.2 §5.5.6.6); 0 without page-reporting.</param>
/// <param name="ReportedEntries">Valid free-page blocks in them.</param>
/// <param name="ReportedBytes">Bytes of those blocks.</param>
/// <param name="ReportReleasedBytes">Reported bytes given back to the host (whole host pages only on huge pages).</param>
/// <param name="ReportPoisonSkippedBytes">Reported bytes kept because the guest poisons free pages (page-poison, poison_val ≠ 0).</param>
/// <param name="ReportMalformedEntries">Reported blocks skipped as malformed (zero length, unaligned, not RAM).</param>
/// <param name="PoisonValue">poison_val as the driver wrote it (page-poison); 0 otherwise.</param>
/// <param name="ActualWrittenUnixUs">
/// When the driver last wrote <c>actual</c>: microseconds since the Unix epoch (host clock), 0 before its first write —
/// to time an inflate or deflate from a request to the guest's answer without the error of polling.
/// </param>
public sealed record BalloonState(
    ulong TargetBytes,
    ulong ActualBytes,
    ulong BalloonedBytes,
    ulong GuestBytes,
    IReadOnlyList<string> Features,
    bool Connected,
    ulong ReleasePendingBytes = 0,
    string Backing = "4k",
    ulong HostPageBytes = 4096,
    string ReleaseGranularity = "host-page",
    ulong PartialHostPageBytes = 0,
    ulong Reports = 0,
    ulong ReportedEntries = 0,
    ulong ReportedBytes = 0,
    ulong ReportReleasedBytes = 0,
    ulong ReportPoisonSkippedBytes = 0,
    ulong ReportMalformedEntries = 0,
    uint PoisonValue = 0,
    ulong ActualWrittenUnixUs = 0);
