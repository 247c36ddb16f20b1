namespace Ballast.Simulation.Experiment;

/// <summary>
/// One backing of a <c>ballast bench</c> run — an element of <c>backings</c> in <c>--json</c>: what it was, its host
/// page, where the huge-page evidence of its runs comes from, and its floor.
/// </summary>
public sealed record BenchBackingSummary
{
    /// <summary><c>backing</c>.</summary>
    public required BenchBacking Backing { get; init; }

    /// <summary><c>host_page_size</c>: bytes of one host page under the guest's RAM (4096 or 2 MiB).</summary>
    public required long HostPageSize { get; init; }

    /// <summary>
    /// <c>huge_page_source</c>: the /proc/meminfo counter behind the runs' <c>huge_page_bytes_*</c>:
    /// <c>HugePages_Free</c> (hugetlb) or <c>ShmemHugePages</c>.
    /// </summary>
    public required string HugePageSource { get; init; }

    /// <summary><c>floor_ms</c>: the floor on this backing (see <see cref="BenchReport.FloorMs"/>).</summary>
    public required double FloorMs { get; init; }
}
