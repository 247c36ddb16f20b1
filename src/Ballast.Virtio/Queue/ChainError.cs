namespace Ballast.Virtio.Queue;

/// <summary>Why a descriptor chain was rejected. The chain is returned to the driver unused; the queue stays usable.</summary>
public enum ChainError
{
    /// <summary>The chain is well formed.</summary>
    None,

    /// <summary>A next field names a descriptor ≥ queue size (§2.7.5: "next" indexes the table).</summary>
    DescriptorIndexOutOfRange,

    /// <summary>The chain revisits a descriptor, or is longer than the queue size allows
    /// (§2.7.5.2: "Drivers MUST NOT create a descriptor chain longer than the Queue Size of the device").</summary>
    ChainTooLong,

    /// <summary>VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated
    /// (§2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag unless the VIRTIO_F_INDIRECT_DESC feature was negotiated").</summary>
    IndirectNotNegotiated,

    /// <summary>Indirect table length is zero or not a multiple of 16 (§2.7.5.3).</summary>
    IndirectBadLength,

    /// <summary>The indirect table is not entirely inside one RAM region.</summary>
    IndirectOutsideRam,

    /// <summary>An indirect table entry is itself indirect
    /// (§2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor").</summary>
    IndirectNested,

    /// <summary>A descriptor has both INDIRECT and NEXT (§2.7.5.3.1: "MUST NOT set both").</summary>
    IndirectWithNext,
}
