using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio;

/// <summary>
/// A virtio device as its transport drives it (VIRTIO 1.2 §2 "Basic Facilities of a Virtio Device", §3 "General
/// Initialization And Device Operation"): features offered and accepted (§2.2), device configuration space (§2.5),
/// virtqueues attached, processed when the driver notifies, and detached (§2.7), reset (§2.4). The vhost-user back-end
/// serves any implementation to QEMU; Ballast's is the balloon (<c>Ballast.Balloon.Device.BalloonDevice</c>).
/// </summary>
/// <remarks>Implementations are thread-safe: the transport's threads call them while the device's own work runs.</remarks>
public interface IVirtioDevice
{
    /// <summary>Chains one bounded <see cref="ProcessQueue"/> pass takes before it lets other work in.</summary>
    const int DefaultChainBudget = 1024;

    /// <summary>Device features offered to the driver (§2.2).</summary>
    ulong OfferedFeatures { get; }

    /// <summary>Features negotiated with the driver; 0 before <see cref="SetDriverFeatures"/> and after reset.</summary>
    ulong NegotiatedFeatures { get; }

    /// <summary>The number of virtqueues the device has with the features offered.</summary>
    int QueueCount { get; }

    /// <summary>Size in bytes of the device configuration space.</summary>
    int ConfigSize { get; }

    /// <summary>Guest RAM, or null before the transport provided it.</summary>
    GuestMemory? Memory { get; set; }

    /// <summary>Raised when the device changes its configuration space (the transport tells the driver, §2.5.1).</summary>
    event Action? ConfigChanged;

    /// <summary>Accepts the driver's features: keeps only what was offered (§2.2).</summary>
    void SetDriverFeatures(ulong driverFeatures);

    /// <summary>Attaches (or with null detaches) the device side of queue <paramref name="index"/>.</summary>
    void AttachQueue(int index, DeviceQueue? queue);

    /// <summary>
    /// Detaches queue <paramref name="index"/> and returns where a restarted queue should resume reading the available
    /// ring (buffers the device still holds count as not consumed), or null if none was attached.
    /// </summary>
    ushort? DetachQueue(int index);

    /// <summary>The queue at <paramref name="index"/>, or null.</summary>
    DeviceQueue? GetQueue(int index);

    /// <summary>
    /// One bounded pass over queue <paramref name="index"/> after a notification: at most <paramref name="maxChains"/>
    /// chains, so one busy ring cannot starve the transport.
    /// </summary>
    QueueProgress ProcessQueue(int index, int maxChains);

    /// <summary>Reads device configuration space at <paramref name="offset"/>.</summary>
    void ReadConfig(uint offset, Span<byte> data);

    /// <summary>Writes device configuration space at <paramref name="offset"/>.</summary>
    void WriteConfig(uint offset, ReadOnlySpan<byte> data);

    /// <summary>Device reset (§2.4): queues detached, features cleared.</summary>
    void Reset();

    /// <summary>
    /// A resumed session (the transport's process was replaced, the driver never noticed): guest memory is mapped
    /// again and no queue runs yet. A device that keeps state outside the process finishes here what the process
    /// before may have left half done. Nothing by default.
    /// </summary>
    void Resume()
    {
    }

    /// <summary>
    /// A resumed session: the next <paramref name="chains"/> chains of queue <paramref name="index"/> were taken by the
    /// process before and not returned, so they may have been handled already. A device treats what repeats in them
    /// as a replay, not as a driver error. Nothing by default.
    /// </summary>
    void ExpectReplays(int index, int chains)
    {
    }
}
