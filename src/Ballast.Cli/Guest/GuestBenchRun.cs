using System.Text.Json.Serialization;

namespace Ballast.Cli.Guest;

/// <summary>
/// One boot of <c>ballast guest-bench</c>: <c>{"device":"qemu","driver":"stock","inflate_ms":X,"deflate_ms":X,
/// "host_bytes_before":N,"host_bytes_after":N}</c>.
/// </summary>
/// <param name="Device"><see cref="GuestBenchDevices.Qemu"/> or <see cref="GuestBenchDevices.Ballast"/>.</param>
/// <param name="Driver">The guest's balloon driver: <c>stock</c> (Linux 6.1's virtio_balloon).</param>
/// <param name="InflateMs">From sending the target until the guest's <c>actual</c> reported it.</param>
/// <param name="DeflateMs">From sending the target back (balloon 0) until <c>actual</c> reported it.</param>
/// <param name="HostBytesBefore">Host memory behind guest RAM just before the inflate (st_blocks of the memfd).</param>
/// <param name="HostBytesAfter">The same once the inflate completed.</param>
public sealed record GuestBenchRun(string Device, string Driver, double InflateMs, double DeflateMs, long HostBytesBefore, long HostBytesAfter)
{
    /// <summary>The guest driver every run uses.</summary>
    public const string StockDriver = "stock";

    /// <summary>Host bytes the inflate gave back (not in the JSON).</summary>
    [JsonIgnore]
    public long ReleasedBytes => HostBytesBefore - HostBytesAfter;
}
