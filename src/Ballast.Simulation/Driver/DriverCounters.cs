using System.Diagnostics;

namespace Ballast.Simulation.Driver;

/// <summary>What the guest driver did: its part of the benchmark's stage breakdown.</summary>
public sealed class DriverCounters
{
    /// <summary>Stopwatch ticks spent allocating (and, with init_on_alloc, zeroing) balloon pages.</summary>
    public long AllocTicks;

    /// <summary>Buffers added to the inflate/deflate queues.</summary>
    public long Buffers;

    /// <summary>Kicks sent (after notification suppression).</summary>
    public long Kicks;

    /// <summary>Config writes of <c>actual</c>.</summary>
    public long ConfigWrites;

    /// <summary>Pages that could not be recorded in the bitmap and went out as single-page entries.</summary>
    public long RecordFallbacks;

    /// <summary>Allocation time in milliseconds.</summary>
    public double AllocMs => AllocTicks * 1000.0 / Stopwatch.Frequency;

    /// <summary>A copy.</summary>
    public DriverCounters Snapshot() => (DriverCounters)MemberwiseClone();
}
