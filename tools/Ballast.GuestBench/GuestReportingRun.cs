using System.Text.Json.Serialization;
using Ballast.GuestLab;
using Ballast.Virtio.Memory;

namespace Ballast.GuestBench;

/// <summary>
/// One boot of <c>ballast guest-bench --reporting</c>: a hog held its memory, <c>unhog</c> let it go, and the guest's
/// free page reporting gave the host memory back. <c>{"device":"ballast","driver":"stock","backing":"4k",
/// "host_bytes_before":N,"host_bytes_after":N,"reclaimed_bytes":N,"reclaim_ms":X,"reclaim_90_ms":X|null,
/// "hog_freed_ms":X|null,"hog_exited_ms":X,"ram_block_bytes":N,"host_pages_before":{…},"host_pages_after":{…},
/// "guest_clock_rate":X|null,"reclaim_guest_ms":X|null,"report_released_bytes":N|null,"reports":N|null,
/// "device_ms_per_report":X|null}</c>. Times are the host's, from
/// sending <c>unhog</c>, except <c>reclaim_guest_ms</c>: the same span on the guest's clock.
/// </summary>
/// <param name="Device">QEMU's device (<c>free-page-reporting=on</c>) or Ballast's daemon (<c>page-reporting</c>).</param>
/// <param name="Driver">The guest's balloon driver.</param>
/// <param name="HostBytesBefore">Host memory behind guest RAM just before <c>unhog</c> (the hog holding its memory).</param>
/// <param name="HostBytesAfter">The same once it settled (<see cref="ReclaimWatch"/>).</param>
/// <param name="ReclaimMs">From sending <c>unhog</c> until the first reading of the settled stretch: the host has the memory back.</param>
public sealed record GuestReportingRun(GuestBenchDevice Device, GuestBenchDriver Driver, long HostBytesBefore, long HostBytesAfter, double ReclaimMs)
{
    /// <summary>What backed guest RAM: <c>4k</c>, <c>thp</c> or <c>hugetlb</c> in the JSON.</summary>
    [JsonConverter(typeof(MemoryBackingJsonConverter))]
    public MemoryBacking Backing { get; init; } = MemoryBacking.Pages4K;

    /// <summary>Host bytes given back: <see cref="HostBytesBefore"/> − <see cref="HostBytesAfter"/>.</summary>
    public long ReclaimedBytes => HostBytesBefore - HostBytesAfter;

    /// <summary>From sending <c>unhog</c> until a reading first showed 90% of <see cref="ReclaimedBytes"/> back; null if nothing came back.</summary>
    [JsonPropertyName("reclaim_90_ms")]
    public double? Reclaim90Ms { get; init; }

    /// <summary>When the host saw <c>BALLAST hog freed</c> (the hog's memory unmapped), from sending <c>unhog</c>.</summary>
    public double? HogFreedMs { get; init; }

    /// <summary>When the host saw <c>BALLAST hog exited</c>, from sending <c>unhog</c>.</summary>
    public double HogExitedMs { get; init; }

    /// <summary>st_blksize of QEMU's guest RAM file (as in <see cref="GuestBenchRun.RamBlockBytes"/>).</summary>
    public long RamBlockBytes { get; init; }

    /// <summary>The host's and QEMU's huge-page counters just before <c>unhog</c>.</summary>
    public HostPageCounters? HostPagesBefore { get; init; }

    /// <summary>The same once the memory settled.</summary>
    public HostPageCounters? HostPagesAfter { get; init; }

    /// <summary>
    /// Guest milliseconds per host millisecond over the watch (<see cref="ReclaimTrace.GuestClockRate"/>): under TCG the
    /// guest keeps time by counting the emulated PIT's interrupts and loses those delivered late, so its clock runs slow
    /// by an amount that changes from boot to boot. Null when unknown.
    /// </summary>
    public double? GuestClockRate { get; init; }

    /// <summary>
    /// <see cref="ReclaimMs"/> on the guest's clock (× <see cref="GuestClockRate"/>): Linux paces free page reporting on
    /// that clock (2 s between passes), so this is the figure that compares two boots whose clocks ran at different
    /// rates. Null when the rate is unknown.
    /// </summary>
    public double? ReclaimGuestMs { get; init; }

    /// <summary>Ballast's daemon: how much more it released for reports over the watch (<c>report_released_bytes</c>); null for QEMU.</summary>
    public long? ReportReleasedBytes { get; init; }

    /// <summary>Ballast's daemon: the reporting buffers it took over the watch; null for QEMU.</summary>
    public long? Reports { get; init; }

    /// <summary>
    /// Ballast's daemon: its mean time per report over the watch, from taking the buffer to giving it back, releases
    /// included (<c>ballast_balloon_report_seconds_total</c>); the guest's reporting thread waits this long, plus the
    /// notifications, per report. Null for QEMU (its own figure needs strace) or without reports.
    /// </summary>
    public double? DeviceMsPerReport { get; init; }
}
