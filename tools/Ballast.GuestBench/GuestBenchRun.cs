using System.Text.Json.Serialization;

namespace Ballast.GuestBench;

/// <summary>
/// One boot of <c>ballast guest-bench</c>: <c>{"device":"qemu","driver":"stock","inflate_ms":X,"deflate_ms":X,
/// "host_bytes_before":N,"host_bytes_after":N,"release_ms":X}</c>.
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
    /// <summary>Host bytes the inflate gave back (not in the JSON).</summary>
    [JsonIgnore]
    public long ReleasedBytes => HostBytesBefore - HostBytesAfter;
}
