namespace Ballast.Virtio.Queue;

/// <summary>One element of a buffer the driver offers: guest-physical address, length, and direction.</summary>
/// <param name="Address">Guest-physical address.</param>
/// <param name="Length">Bytes.</param>
/// <param name="DeviceWritable">True for an "in" buffer the device writes (VIRTQ_DESC_F_WRITE).</param>
public readonly record struct BufferSegment(ulong Address, uint Length, bool DeviceWritable);
