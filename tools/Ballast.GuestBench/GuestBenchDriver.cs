using System.Text.Json.Serialization;

namespace Ballast.GuestBench;

/// <summary>
/// A guest balloon driver <c>ballast guest-bench</c> times: Linux 6.1's stock virtio_balloon, or Ballast's own module
/// (<c>guest/module/</c>, <c>ballast_balloon.ko</c> in the initramfs) with the daemon's scatter-gather feature,
/// allocating single pages (the seed's SG) or high-order blocks. The command-line, table and JSON names are the
/// kebab-case names given by <see cref="GuestBenchDrivers.Name"/>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<GuestBenchDriver>))]
public enum GuestBenchDriver
{
    /// <summary><c>stock</c>: Linux 6.1's virtio_balloon; the daemon offers no SG.</summary>
    [JsonStringEnumMemberName("stock")]
    Stock,

    /// <summary><c>sg</c>: <c>ballast_balloon</c> with order-0 pages (the seed's SG); the daemon offers SG.</summary>
    [JsonStringEnumMemberName("sg")]
    Sg,

    /// <summary>
    /// <c>sg-highorder</c>: <c>ballast_balloon</c> allocating 2^<see cref="GuestBenchDrivers.HighOrder"/>-page blocks;
    /// the daemon offers SG.
    /// </summary>
    [JsonStringEnumMemberName("sg-highorder")]
    SgHighOrder,
}
