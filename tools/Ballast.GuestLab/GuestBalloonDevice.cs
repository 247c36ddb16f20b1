namespace Ballast.GuestLab;

/// <summary>Which balloon device a <see cref="QemuGuest"/> gets.</summary>
public enum GuestBalloonDevice
{
    /// <summary>No balloon device.</summary>
    None,

    /// <summary>QEMU's own <c>virtio-balloon-device</c>, driven over QMP.</summary>
    Builtin,

    /// <summary>QEMU's generic <c>vhost-user-test-device</c> (virtio-id 5) on a Ballast daemon's socket.</summary>
    VhostUser,
}
