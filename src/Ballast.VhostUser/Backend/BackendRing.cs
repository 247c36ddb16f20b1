using Ballast.Linux;
using Ballast.Virtio.Queue;
using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// What the front-end told the backend about one ring, vhost-user.rst "Ring states": stopped until it has a size
/// (SET_VRING_NUM), addresses (SET_VRING_ADDR) and a kick eventfd (SET_VRING_KICK), and is enabled
/// (SET_VRING_ENABLE 1, or from the start when VHOST_USER_F_PROTOCOL_FEATURES was not negotiated); then a
/// <see cref="DeviceQueue"/> is built and attached to the device (<see cref="Active"/>). GET_VRING_BASE stops it.
/// Owned by the connection's event-loop thread.
/// </summary>
internal sealed class BackendRing(int index) : IDisposable
{
    /// <summary>The ring's index (the device's queue number).</summary>
    public int Index { get; } = index;

    /// <summary>SET_VRING_NUM: the queue size, 0 until set.</summary>
    public int Size { get; set; }

    /// <summary>SET_VRING_ADDR: the front-end's user addresses of the three areas, or null until set.</summary>
    public VringAddress? Address { get; set; }

    /// <summary>SET_VRING_BASE, and the running queue's next available index whenever it stops.</summary>
    public ushort NextAvail { get; set; }

    /// <summary>SET_VRING_KICK: the front-end signals it when it adds buffers.</summary>
    public EventFd? Kick { get; set; }

    /// <summary>SET_VRING_CALL: we signal it when we return buffers (the guest's interrupt).</summary>
    public EventFd? Call { get; set; }

    /// <summary>SET_VRING_ERR: we signal it when the ring proves unusable.</summary>
    public EventFd? Err { get; set; }

    /// <summary>SET_VRING_ENABLE.</summary>
    public bool Enabled { get; set; }

    /// <summary>The running queue, attached to the device; null while stopped.</summary>
    public DeviceQueue? Active { get; set; }

    /// <summary>
    /// True when the last pass over the running queue ran out of budget with buffers left: the event loop comes
    /// back to it without waiting for a kick (notifications stay disabled meanwhile).
    /// </summary>
    public bool MoreAvailable { get; set; }

    /// <summary>Why the last start failed, so the same failure is logged once.</summary>
    public string? StartError { get; set; }

    /// <summary>True once the ring was reported broken (so it is reported once).</summary>
    public bool ReportedBroken { get; set; }

    /// <summary>Everything needed to start, other than guest memory.</summary>
    public bool IsReady => Size > 0 && Address is not null && Kick is not null && Enabled;

    /// <summary>Forgets everything the front-end configured (RESET_OWNER/RESET_DEVICE); the caller stopped the queue.</summary>
    public void Clear()
    {
        Size = 0;
        Address = null;
        NextAvail = 0;
        Enabled = false;
        StartError = null;
        ReportedBroken = false;
        MoreAvailable = false;
        Dispose();
    }

    /// <summary>Closes the eventfds.</summary>
    public void Dispose()
    {
        Kick?.Dispose();
        Kick = null;
        Call?.Dispose();
        Call = null;
        Err?.Dispose();
        Err = null;
    }
}
