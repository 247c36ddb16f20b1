namespace Ballast.Virtio.Queue;

/// <summary>
/// VIRTIO 1.2 §2.7.5 "The Virtqueue Descriptor Table": le64 addr, le32 len, le16 flags, le16 next.
/// <code>
///  0               8          12      14      16
///  +---------------+----------+-------+-------+
///  | addr (le64)   | len(le32)| flags | next  |
///  +---------------+----------+-------+-------+
/// </code>
/// </summary>
public readonly record struct Descriptor(ulong Address, uint Length, ushort Flags, ushort Next)
{
    /// <summary>Size of one descriptor in the table.</summary>
    public const int Size = 16;

    /// <summary>VIRTQ_DESC_F_NEXT: the buffer continues via the next field.</summary>
    public const ushort FlagNext = 1;

    /// <summary>VIRTQ_DESC_F_WRITE: the buffer is device write-only (otherwise device read-only).</summary>
    public const ushort FlagWrite = 2;

    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer holds a table of descriptors (§2.7.5.3).</summary>
    public const ushort FlagIndirect = 4;

    /// <summary>True for a device-writable ("in") buffer.</summary>
    public bool IsWriteOnly => (Flags & FlagWrite) != 0;

    /// <summary>True if the chain continues at <see cref="Next"/>.</summary>
    public bool HasNext => (Flags & FlagNext) != 0;

    /// <summary>True if this descriptor points at an indirect table.</summary>
    public bool IsIndirect => (Flags & FlagIndirect) != 0;
}
