using System.Text.Json.Serialization;

namespace Ballast.GuestBench;

/// <summary>
/// A balloon device <c>ballast guest-bench</c> times. The command-line, table and JSON names are the lower-case names
/// given by <see cref="GuestBenchDevices.Name"/>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<GuestBenchDevice>))]
public enum GuestBenchDevice
{
    /// <summary><c>qemu</c>: QEMU's built-in <c>virtio-balloon-device</c>, driven over QMP.</summary>
    [JsonStringEnumMemberName("qemu")]
    Qemu,

    /// <summary><c>ballast</c>: Ballast's daemon over vhost-user.</summary>
    [JsonStringEnumMemberName("ballast")]
    Ballast,
}
