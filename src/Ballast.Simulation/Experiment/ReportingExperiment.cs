using System.Diagnostics;
using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// Free page reporting's experiment (issue #13): a workload that held memory exits, and the guest reports the freed
/// memory until the host has it back — to compare with inflating a balloon by the same amount.
/// </summary>
/// <remarks>
/// Steps, on a driver that negotiated VIRTIO_BALLOON_F_PAGE_REPORTING: a workload allocates the pages and writes
/// them (the host backs them); the guest reports the rest of its free memory until nothing is left unreported (an
/// idle guest's steady state; untimed); the workload exits; then, timed, the reporting work runs until every freed
/// block is reported. The stages map onto the inflate's: alloc = the guest's allocator isolating blocks and putting
/// them back, translate and release = the device's, send = the rest (queue work, kicks, waiting). The host memory
/// before and after are those around the timed part. Linux would also have waited 2 s before each run of its work
/// (<see cref="ModeMeasurement.ReportDelayMs"/>), which is not slept here.
/// </remarks>
public static class ReportingExperiment
{
    /// <summary>
    /// Runs the experiment for <paramref name="pages"/> 4 KiB pages on a probed <paramref name="driver"/> whose
    /// <see cref="BalloonDriver.Reporting"/> is set.
    /// </summary>
    /// <exception cref="InvalidOperationException">The driver did not negotiate page reporting, the driver failed, or
    /// the device counted guest errors.</exception>
    public static ModeMeasurement Measure(SimulatedGuest guest, BalloonDevice device, BalloonDriver driver, ulong pages,
        IProgress<ulong>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(driver);
        var reporting = driver.Reporting
            ?? throw new InvalidOperationException("the driver did not negotiate VIRTIO_BALLOON_F_PAGE_REPORTING");
        var hugeBefore = guest.HugePageBytes;

        _ = BalloonExperiment.OnVcpu(() =>
        {
            var pfns = guest.StartWorkload(pages);
            reporting.RunUntilIdle();
            guest.EndWorkload(pfns);
            return pfns.Length;
        });
        progress?.Report(0);

        // Huge pages as the guest made them, before the untimed reporting released most of its free memory.
        var start = RunMark.Take(guest, device, driver) with { HugePageBytes = hugeBefore };
        var rep0 = reporting.Counters.Snapshot();
        var sw = Stopwatch.StartNew();
        var passes = BalloonExperiment.OnVcpu(reporting.RunUntilIdle);
        var totalMs = sw.Elapsed.TotalMilliseconds;
        var end = RunMark.Take(guest, device, driver);
        var rep1 = reporting.Counters.Snapshot();
        progress?.Report((ulong)(rep1.Frames - rep0.Frames));

        var integrity = guest.CheckIntegrity(guest.ReportedFrames());
        return BalloonExperiment.Breakdown(guest, device, start, end, totalMs, rep1.AllocatorTicks - rep0.AllocatorTicks, integrity) with
        {
            Pages = rep1.Frames - rep0.Frames,
            Buffers = rep1.Reports - rep0.Reports,
            Runs = end.Device.ReportedEntries - start.Device.ReportedEntries,
            Reports = rep1.Reports - rep0.Reports,
            ReportedEntries = rep1.Entries - rep0.Entries,
            ReportPasses = passes,
            ReportDelayMs = passes * PageReporting.Delay.TotalMilliseconds,
        };
    }
}
