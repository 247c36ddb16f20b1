using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;

namespace Ballast.GuestLab;

/// <summary>How a <see cref="QemuGuest"/> is started.</summary>
public sealed record QemuGuestOptions
{
    /// <summary>Guest RAM (and memfd size), a whole number of MiB: 2 GiB by default.</summary>
    public long MemoryBytes { get; init; } = 2L << 30;

    /// <summary>
    /// What backs guest RAM on the host: 4 KiB shmem (a memfd, the default), 2 MiB hugetlb pages (a hugetlb memfd) or
    /// transparent huge pages (a file on a <c>huge=always</c> tmpfs); see <see cref="GuestRamBackings"/>. A huge backing
    /// holds a <see cref="GuestRam"/> (huge pages reserved, settings restored) while QEMU runs.
    /// </summary>
    public MemoryBacking Backing { get; init; } = MemoryBacking.Pages4K;

    /// <summary>The machine (and so the virtio transport): microvm with virtio-mmio by default, or q35 with virtio-PCI.</summary>
    public GuestMachine Machine { get; init; } = GuestMachine.Microvm;

    /// <summary>
    /// The guest kernel: Ballast's own build (the default), or Debian's prebuilt kernel with the initramfs carrying its
    /// virtio modules (the environment must come from <c>ensure.sh --debian-kernel</c>).
    /// </summary>
    public GuestKernel Kernel { get; init; } = GuestKernel.Ballast;

    /// <summary>The balloon device.</summary>
    public GuestBalloonDevice Balloon { get; init; } = GuestBalloonDevice.VhostUser;

    /// <summary><see cref="GuestBalloonDevice.Builtin"/> only: <c>deflate-on-oom=on</c>.</summary>
    public bool DeflateOnOom { get; init; } = true;

    /// <summary>
    /// <see cref="GuestBalloonDevice.Builtin"/> only: <c>free-page-reporting=on</c> (VIRTIO_BALLOON_F_PAGE_REPORTING: QEMU
    /// discards the guest RAM behind every free block the guest reports). Off by default, as in QEMU.
    /// </summary>
    public bool FreePageReporting { get; init; }

    /// <summary>
    /// <see cref="GuestBalloonDevice.VhostUser"/> only: <c>num_vqs</c>; must match the daemon's queues (3 with the
    /// stats feature, else 2).
    /// </summary>
    public int Queues { get; init; } = 3;

    /// <summary>The vhost-user balloon's config_size: 8, or 16 for a daemon offering page-poison or page-reporting.</summary>
    public int ConfigSize { get; init; } = BalloonDevice.BasicConfigSize;

    /// <summary>
    /// <see cref="GuestBalloonDevice.VhostUser"/> only: the vhost-user socket's host path (inside the chroot), where
    /// the daemon listens; null for <c>balloon.sock</c> in the run directory.
    /// </summary>
    public string? VhostUserSocket { get; init; }

    /// <summary>
    /// <see cref="GuestBalloonDevice.VhostUser"/> only: <c>reconnect-ms</c> of the chardev (QEMU reconnects to a
    /// restarted daemon), or 0 for a plain connection made once at start-up. See <see cref="QemuGuest"/> for why a
    /// non-zero value makes QEMU start with <c>--preconfig</c>.
    /// </summary>
    public int ReconnectMs { get; init; } = 1000;

    /// <summary>How long QMP and the vhost-user chardev may take to come up at start.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Words appended to the kernel command line, e.g. <c>ballast.dirty=1600 ballast.report=0.5</c>.</summary>
    public string Append { get; init; } = "";

    /// <summary>How long to wait after SIGTERM before SIGKILL when the guest is disposed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(3);
}
