namespace Ballast.Balloon.Device;

/// <summary>Kinds of bad guest input (and host failures) the device counts and logs; none of them throws.</summary>
public enum BalloonError
{
    /// <summary>A descriptor chain the queue rejected (bad index, loop, bad indirect table).</summary>
    BadChain,

    /// <summary>The ring is unusable; the device needs reset.</summary>
    QueueBroken,

    /// <summary>A PFN array buffer not inside guest RAM, or its length not a multiple of 4.</summary>
    BadPfnBuffer,

    /// <summary>A PFN beyond RAM or in a hole.</summary>
    PfnOutOfRange,

    /// <summary>An SG range whose address or length is not 4 KiB aligned.</summary>
    SgUnaligned,

    /// <summary>An SG range of length 0.</summary>
    SgZeroLength,

    /// <summary>An SG range longer than 4 GiB − 4 KiB.</summary>
    SgTooLong,

    /// <summary>An SG range not entirely RAM: beyond the end, across a hole, or wrapping the 64-bit space.</summary>
    SgOutsideRam,

    /// <summary>Inflating a frame that is already ballooned (nothing is released twice).</summary>
    DoubleInflate,

    /// <summary>Deflating a frame that is not ballooned.</summary>
    DeflateNotBallooned,

    /// <summary>A stats buffer shorter than one 10-byte entry, not a whole number of entries, device-writable, or oversized.</summary>
    BadStatsBuffer,

    /// <summary>A reported free-page block (reporting_vq) of length 0.</summary>
    ReportZeroLength,

    /// <summary>A reported block whose address or length is not 4 KiB aligned (every length over 4 GiB − 4 KiB is not).</summary>
    ReportUnaligned,

    /// <summary>A reported block not entirely RAM: beyond the end, across a hole, or wrapping the 64-bit space.</summary>
    ReportOutsideRam,

    /// <summary>The host could not release memory: fallocate and madvise both failed, or the region cannot be punched
    /// at page granularity (a vhost-user region whose file offset is not 4 KiB aligned).</summary>
    ReleaseFailed,
}
