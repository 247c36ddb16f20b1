using System.Diagnostics;

namespace Ballast.Simulation.Guest;

/// <summary>What <see cref="PageReporting"/> did.</summary>
public sealed class PageReportingCounters
{
    /// <summary>Runs of the reporting work (<see cref="PageReporting.RunPass"/>); each follows a <see cref="PageReporting.Delay"/> in Linux.</summary>
    public long Passes;

    /// <summary>Reports handed to the driver (one virtqueue buffer each).</summary>
    public long Reports;

    /// <summary>Free blocks reported (one descriptor each).</summary>
    public long Entries;

    /// <summary>Frames in the reported blocks.</summary>
    public long Frames;

    /// <summary>Reports the driver failed (their blocks went back unreported).</summary>
    public long Failed;

    /// <summary>Stopwatch ticks spent in the allocator: isolating blocks and putting them back.</summary>
    public long AllocatorTicks;

    /// <summary>Allocator time in milliseconds.</summary>
    public double AllocatorMs => AllocatorTicks * 1000.0 / Stopwatch.Frequency;

    /// <summary>A copy.</summary>
    public PageReportingCounters Snapshot() => (PageReportingCounters)MemberwiseClone();
}
