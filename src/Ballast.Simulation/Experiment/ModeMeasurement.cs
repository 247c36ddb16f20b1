using System.Text.Json.Serialization;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// One inflate/deflate cycle of <see cref="BalloonExperiment"/>, whatever the transport: times in wall-clock
/// milliseconds, the seed's four stages of inflating (alloc, send, translate, release), counts, host memory and
/// integrity. <c>ballast bench --json</c> prints these (snake_case) in each run, after the mode.
/// </summary>
public record ModeMeasurement
{
    /// <summary>The whole inflate.</summary>
    public required double TotalMs { get; init; }

    /// <summary>The guest driver allocating the balloon pages.</summary>
    public required double AllocMs { get; init; }

    /// <summary>Everything else: queue work, kicks, interrupts, config round trips over the socket, waiting.</summary>
    public required double SendMs { get; init; }

    /// <summary>The device translating guest addresses.</summary>
    public required double TranslateMs { get; init; }

    /// <summary>The device releasing host memory.</summary>
    public required double ReleaseMs { get; init; }

    /// <summary>Deflating afterwards (not part of the total).</summary>
    public required double DeflateMs { get; init; }

    /// <summary>4 KiB pages put into the balloon.</summary>
    public required long Pages { get; init; }

    /// <summary>Virtqueue buffers the driver sent.</summary>
    public required long Buffers { get; init; }

    /// <summary>Driver → device notifications.</summary>
    public required long Kicks { get; init; }

    /// <summary>Runs of contiguous pages the device saw.</summary>
    public required long Runs { get; init; }

    /// <summary>Host memory-release calls the device made.</summary>
    public required long ReleaseCalls { get; init; }

    /// <summary>Host memory behind guest RAM before inflating (fstat st_blocks of the memfd).</summary>
    public required long HostBytesBefore { get; init; }

    /// <summary>Host memory behind guest RAM after inflating.</summary>
    public required long HostBytesAfter { get; init; }

    /// <summary>"ok", or "corrupt:&lt;pages&gt;".</summary>
    public required string Integrity { get; init; }

    /// <summary>
    /// Bytes of one host page under guest RAM as the device sees it (its own mapping over vhost-user): 4096, or 2 MiB
    /// on huge pages. 0 where not measured.
    /// </summary>
    [JsonPropertyOrder(3)]
    public long HostPageSize { get; init; }

    /// <summary>
    /// Evidence of huge pages, before inflating: bytes of huge pages the guest's RAM took since it was made, from the
    /// host-wide counters of /proc/meminfo (hugetlb: the fall of <c>HugePages_Free</c>; otherwise the growth of
    /// <c>ShmemHugePages</c>, 0 on 4 KiB pages).
    /// </summary>
    [JsonPropertyOrder(4)]
    public long HugePageBytesBefore { get; init; }

    /// <summary>The same after inflating: what the balloon left in huge pages.</summary>
    [JsonPropertyOrder(5)]
    public long HugePageBytesAfter { get; init; }

    /// <summary>Free page reporting: buffers sent on reporting_vq, one per report (0 for an inflate).</summary>
    [JsonPropertyOrder(6)]
    public long Reports { get; init; }

    /// <summary>Free page reporting: free blocks reported, one descriptor each (0 for an inflate).</summary>
    [JsonPropertyOrder(7)]
    public long ReportedEntries { get; init; }

    /// <summary>Free page reporting: runs of the guest's reporting work it took (0 for an inflate).</summary>
    [JsonPropertyOrder(8)]
    public long ReportPasses { get; init; }

    /// <summary>
    /// Free page reporting: what Linux would have waited on top of <see cref="ModeMeasurement.TotalMs"/>, 2 s before
    /// each run of its reporting work (<c>PAGE_REPORTING_DELAY</c>); the simulation does not sleep it. 0 for an inflate.
    /// </summary>
    [JsonPropertyOrder(9)]
    public double ReportDelayMs { get; init; }
}
