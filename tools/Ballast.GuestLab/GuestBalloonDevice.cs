namespace Ballast.GuestLab;

/// <summary>Which balloon device a <see cref="QemuGuest"/> gets.</summary>
public enum GuestBalloonDevice
{
    /// <summary>No balloon device.</summary>
    None,

    /// <summary>QEMU's own balloon, driven over QMP: <c>virtio-balloon-device</c> (microvm) or <c>virtio-balloon-pci</c> (q35).</summary>
    Builtin,

    /// <summary>
    /// QEMU's generic vhost-user device (virtio-id 5) on a Ballast daemon's socket: <c>vhost-user-test-device</c>
    /// (microvm) or <c>vhost-user-test-device-pci</c> (q35).
    /// </summary>
    VhostUser,
}
