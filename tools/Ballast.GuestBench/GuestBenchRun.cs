using System.Text.Json.Serialization;
using Ballast.GuestLab;
using Ballast.Virtio.Memory;

namespace Ballast.GuestBench;

/// <summary>
/// One boot of <c>ballast guest-bench</c>: <c>{"device":"qemu","driver":"stock","inflate_ms":X,"deflate_ms":X,
/// "host_bytes_before":N,"host_bytes_after":N,"release_ms":X,"backing":"hugetlb","ram_block_bytes":N,
/// "host_pages_before":{…},"host_pages_after":{…},"module_inflate":{…}|null,"module_deflate":{…}|null}</c>.
/// </summary>
/// <param name="Device">QEMU's device or Ballast's daemon; <c>qemu</c> or <c>ballast</c> in the JSON (<see cref="GuestBenchDevices.Name"/>).</param>
/// <param name="Driver">The guest's balloon driver: <c>stock</c> (Linux 6.1's virtio_balloon), <c>sg</c> or <c>sg-highorder</c>
/// (Ballast's module with SG) in the JSON (<see cref="GuestBenchDrivers.Name"/>).</param>
/// <param name="InflateMs">From sending the target until the guest's <c>actual</c> reported it.</param>
/// <param name="DeflateMs">From sending the target back (balloon 0) until <c>actual</c> reported it.</param>
/// <param name="HostBytesBefore">Host memory behind guest RAM just before the inflate (st_blocks of the memfd).</param>
/// <param name="HostBytesAfter">The same once the inflate completed and the host released it.</param>
/// <param name="ReleaseMs">
/// From sending the target until the host had released the memory too: equal to <paramref name="InflateMs"/> when the
/// device releases before it acknowledges (QEMU; Ballast by default), later with <c>--defer-release</c> (Ballast's
/// <c>release_pending_bytes</c> reached 0).
/// </param>
public sealed record GuestBenchRun(GuestBenchDevice Device, GuestBenchDriver Driver, double InflateMs, double DeflateMs, long HostBytesBefore, long HostBytesAfter,
    double ReleaseMs)
{
    /// <summary>What backed guest RAM: <c>4k</c>, <c>thp</c> or <c>hugetlb</c> in the JSON.</summary>
    [JsonConverter(typeof(MemoryBackingJsonConverter))]
    public MemoryBacking Backing { get; init; } = MemoryBacking.Pages4K;

    /// <summary>
    /// st_blksize of QEMU's guest RAM file, read from its descriptor after boot: 2 MiB on hugetlbfs (the huge page)
    /// and on the THP tmpfs, 4 KiB on a plain memfd (see <see cref="GuestRamBackings"/>).
    /// </summary>
    public long RamBlockBytes { get; init; }

    /// <summary>The host's and QEMU's huge-page counters just before the inflate (with <see cref="HostBytesBefore"/>).</summary>
    public HostPageCounters? HostPagesBefore { get; init; }

    /// <summary>The same once the host released the inflate (with <see cref="HostBytesAfter"/>).</summary>
    public HostPageCounters? HostPagesAfter { get; init; }

    /// <summary>Ballast's module: its <c>dyndbg=+p</c> inflate batch lines summed; null for the stock driver.</summary>
    public GuestModuleBreakdown? ModuleInflate { get; init; }

    /// <summary>Ballast's module: its deflate batches summed; null for the stock driver.</summary>
    public GuestModuleBreakdown? ModuleDeflate { get; init; }

    /// <summary>Host bytes the inflate gave back (not in the JSON).</summary>
    [JsonIgnore]
    public long ReleasedBytes => HostBytesBefore - HostBytesAfter;
}
