namespace Ballast.VhostUser.Protocol;

/// <summary>
/// Requests the back-end sends to the front-end on the backend-request channel (SET_BACKEND_REQ_FD),
/// vhost-user.rst "Back-end message types" (VHOST_USER_BACKEND_*, formerly VHOST_USER_SLAVE_*).
/// </summary>
internal enum BackendRequest : uint
{
    /// <summary>VHOST_USER_BACKEND_IOTLB_MSG.</summary>
    IotlbMsg = 1,

    /// <summary>VHOST_USER_BACKEND_CONFIG_CHANGE_MSG: no payload; "the virtio device's configuration space has
    /// changed" — QEMU raises the guest's config interrupt. How a new balloon target reaches the guest.</summary>
    ConfigChangeMsg = 2,

    /// <summary>VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG.</summary>
    VringHostNotifierMsg = 3,

    /// <summary>VHOST_USER_BACKEND_VRING_CALL (in-band notifications).</summary>
    VringCall = 4,

    /// <summary>VHOST_USER_BACKEND_VRING_ERR (in-band notifications).</summary>
    VringErr = 5,
}
