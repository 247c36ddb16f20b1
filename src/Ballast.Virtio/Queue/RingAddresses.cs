namespace Ballast.Virtio.Queue;

/// <summary>Guest-physical addresses of a split virtqueue's three areas (VIRTIO 1.2 §2.7).</summary>
/// <param name="DescriptorTable">16-byte aligned, 16 × size bytes.</param>
/// <param name="AvailableRing">2-byte aligned, 6 + 2 × size bytes (with used_event).</param>
/// <param name="UsedRing">4-byte aligned, 6 + 8 × size bytes (with avail_event).</param>
public readonly record struct RingAddresses(ulong DescriptorTable, ulong AvailableRing, ulong UsedRing);
