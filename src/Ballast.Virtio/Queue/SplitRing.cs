namespace Ballast.Virtio.Queue;

/// <summary>
/// Layout of a split virtqueue, VIRTIO 1.2 §2.7 "Split Virtqueues".
/// <code>
/// available ring (driver → device), 2-byte aligned:
///   le16 flags | le16 idx | le16 ring[size] | le16 used_event (only with VIRTIO_F_EVENT_IDX)
/// used ring (device → driver), 4-byte aligned:
///   le16 flags | le16 idx | { le32 id; le32 len } ring[size] | le16 avail_event (only with VIRTIO_F_EVENT_IDX)
/// </code>
/// </summary>
public static class SplitRing
{
    /// <summary>The largest queue size: "Queue Size ... maximum 32768" (§2.7).</summary>
    public const int MaxSize = 32768;

    /// <summary>Alignment of the descriptor table, available and used rings (§2.7, table "Virtqueue Part Alignment").</summary>
    public const int DescriptorAlignment = 16, AvailableAlignment = 2, UsedAlignment = 4;

    /// <summary>Byte offsets in the available ring.</summary>
    public const int AvailFlagsOffset = 0, AvailIdxOffset = 2, AvailRingOffset = 4;

    /// <summary>Byte offsets in the used ring; a used element is 8 bytes (le32 id, le32 len).</summary>
    public const int UsedFlagsOffset = 0, UsedIdxOffset = 2, UsedRingOffset = 4, UsedElementSize = 8;

    /// <summary>VIRTQ_AVAIL_F_NO_INTERRUPT: the driver does not want used-buffer notifications (without EVENT_IDX).</summary>
    public const ushort AvailFlagNoInterrupt = 1;

    /// <summary>VIRTQ_USED_F_NO_NOTIFY: the device does not want available-buffer notifications (without EVENT_IDX).</summary>
    public const ushort UsedFlagNoNotify = 1;

    /// <summary>Bytes of the descriptor table.</summary>
    public static ulong DescriptorTableBytes(int size) => (ulong)size * Descriptor.Size;

    /// <summary>Bytes of the available ring including used_event.</summary>
    public static ulong AvailableRingBytes(int size) => 6 + 2 * (ulong)size;

    /// <summary>Bytes of the used ring including avail_event.</summary>
    public static ulong UsedRingBytes(int size) => 6 + UsedElementSize * (ulong)size;

    /// <summary>True for a valid queue size: a power of two from 1 to 32768 (§2.7).</summary>
    public static bool IsValidSize(int size) => size is > 0 and <= MaxSize && (size & (size - 1)) == 0;

    /// <summary>
    /// vring_need_event: with VIRTIO_F_EVENT_IDX, notify iff the other side's event index lies in
    /// [old, new) (§2.7.7.2 / §2.7.10.1; all arithmetic mod 2^16).
    /// </summary>
    public static bool NeedEvent(ushort eventIdx, ushort newIdx, ushort oldIdx) =>
        (ushort)(newIdx - eventIdx - 1) < (ushort)(newIdx - oldIdx);
}
