using Ballast.Linux;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio;

/// <summary>
/// What a virtio driver sees of its transport (virtio-mmio/PCI in a real guest): feature negotiation, config
/// space, queue setup, DRIVER_OK. The in-process transport calls the device directly; the vhost-user frontend
/// relays the same operations over the protocol.
/// </summary>
public interface IVirtioTransport
{
    /// <summary>Device features (VIRTIO 1.2 §2.2).</summary>
    ulong DeviceFeatures { get; }

    /// <summary>Writes the accepted driver features (FEATURES_OK).</summary>
    void SetDriverFeatures(ulong features);

    /// <summary>Largest queue size the device supports for queue <paramref name="index"/>.</summary>
    int MaxQueueSize(int index);

    /// <summary>Configures queue <paramref name="index"/> with rings in guest memory and its notification eventfds.</summary>
    void SetupQueue(int index, int size, RingAddresses addresses, EventFd kick, EventFd call);

    /// <summary>Sets DRIVER_OK: the device may start.</summary>
    void DriverOk();

    /// <summary>Reads device config space.</summary>
    void ReadConfig(uint offset, Span<byte> data);

    /// <summary>Writes device config space.</summary>
    void WriteConfig(uint offset, ReadOnlySpan<byte> data);
}
