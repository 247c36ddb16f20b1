namespace Ballast.Simulation.Guest;

/// <summary>
/// The driver's report callback (Linux <c>page_reporting_dev_info.report</c>): tells the host that
/// <paramref name="blocks"/> are free and returns once the host acknowledged it. The blocks are isolated meanwhile;
/// throwing puts them back unreported.
/// </summary>
public delegate void ReportFreeBlocks(ReadOnlySpan<FreeBlock> blocks);
