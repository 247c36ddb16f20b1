using Ballast.GuestLab;
using Ballast.Virtio.Memory;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>How a <see cref="BallastGuest"/> is started.</summary>
public sealed record BallastGuestOptions
{
    /// <summary>A short prefix for the run directory.</summary>
    public string Name { get; init; } = "t";

    /// <summary><c>ballast serve --features</c>; the QEMU side gets the queues and config space the device has for them.</summary>
    public string Features { get; init; } = "stats,deflate-on-oom";

    /// <summary><c>ballast serve --defer-release</c> (needs <c>must-tell-host</c> in <see cref="Features"/>).</summary>
    public bool DeferRelease { get; init; }

    /// <summary>Kernel command-line words for the guest's /init.</summary>
    public string Append { get; init; } = "ballast.report=0.5";

    /// <summary>
    /// The guest kernel: Ballast's build, or Debian's prebuilt one (q35 only; the fixture then runs ensure.sh with
    /// <c>--debian-kernel</c> once).
    /// </summary>
    public GuestKernel Kernel { get; init; } = GuestKernel.Ballast;

    /// <summary>The machine: microvm (virtio-mmio) by default, or q35 (virtio-PCI).</summary>
    public GuestMachine Machine { get; init; } = GuestMachine.Microvm;

    /// <summary>
    /// What backs guest RAM (<see cref="QemuGuestOptions.Backing"/>); a huge backing reserves its pages while QEMU
    /// runs, and THP gives the daemon <c>--allow-unsealed-memory</c>.
    /// </summary>
    public MemoryBacking Backing { get; init; } = MemoryBacking.Pages4K;

    /// <summary>Guest RAM.</summary>
    public long MemoryBytes { get; init; } = 2L << 30;

    /// <summary>The chardev's reconnect-ms (0: none).</summary>
    public int ReconnectMs { get; init; } = 1000;

    /// <summary>How long the boot may take (to <c>BALLAST ready</c>).</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The queues and config space QEMU must give the device for <see cref="Features"/> (the device's own rules).</summary>
    public DaemonDeviceShape Shape => DaemonDeviceShape.Of(Features);

    /// <summary>The number of queues QEMU must give the device for <see cref="Features"/> (the device's own count).</summary>
    public int Queues => Shape.Queues;

    /// <summary>The config space QEMU must give the device for <see cref="Features"/> (16 bytes with page-poison or page-reporting).</summary>
    public int ConfigSize => Shape.ConfigSize;
}
