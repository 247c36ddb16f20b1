using Ballast.Balloon.Device;
using Ballast.Linux;
using Ballast.Simulation.Guest;
using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// The seed's experiment: for each mode a freshly restored simulated guest, the device, and the driver on a
/// "vCPU" thread, connected in-process or over vhost-user (<see cref="BenchOptions.Transport"/>); then the floor —
/// the same allocation from the same allocator with no device, plus one release call per run.
/// </summary>
public sealed class BenchEngine : IBenchEngine
{
    private const int PageShift = GuestPage.Shift;
    private const long ProgressStepBytes = 64L << 20;

    /// <summary>Virtqueue size the device offers (QEMU's balloon uses 128).</summary>
    public int QueueSize { get; init; } = 128;

    /// <inheritdoc />
    /// <exception cref="BenchHostException">The host cannot give a backing asked for (checked before anything runs,
    /// and again under the reservation each backing takes).</exception>
    public BenchReport Run(BenchOptions options, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A backing the host cannot give fails now, not after the backings before it ran.
        foreach (var backing in options.Backings)
            BackingHost.Check(backing, (ulong)options.GuestMemBytes);

        var runs = new List<BenchRun>();
        var backings = new List<BenchBackingSummary>();
        var warnings = new List<string>();
        foreach (var backing in options.Backings)
        {
            ct.ThrowIfCancellationRequested();
            // Root: huge pages reserved (THP switched on) for this backing only, and put back before the next one.
            using var host = BackingHost.Reserve(backing, (ulong)options.GuestMemBytes);
            var first = runs.Count;
            BenchBackingSummary? summary = null;
            WarmUp(options, backing, ct);
            for (var r = 0; r < options.Repeat; r++)
            {
                foreach (var mode in options.Modes)
                {
                    ct.ThrowIfCancellationRequested();
                    runs.Add(RunMode(options, backing, mode, progress, ct));
                }
                ct.ThrowIfCancellationRequested();
                // The floor is a lower bound: keep the cheapest of the repeats.
                var floor = MeasureFloor(options, backing, progress);
                if (summary is null || floor.FloorMs < summary.FloorMs)
                    summary = floor;
            }
            backings.Add(summary!);
            warnings.AddRange(Warnings(options, backing, runs[first..]));
        }
        return BenchReport.For(options, backings, runs, warnings);
    }

    /// <summary>
    /// What makes the runs on <paramref name="backing"/> doubtful, from the huge-page evidence: huge-page RAM that did
    /// not show up in huge pages (THP falls back to 4 KiB pages silently), 4 KiB RAM that did, and a device that saw
    /// another host page size than the backing has.
    /// </summary>
    public static IEnumerable<string> Warnings(BenchOptions options, BenchBacking backing, IEnumerable<BenchRun> runs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runs);
        var name = BenchBackings.Name(backing);
        var counter = backing == BenchBacking.Hugetlb ? "HugePages_Free fell" : "ShmemHugePages grew";
        // What the guest wrote before inflating: all of it, or (clean) its kernel part (SimulatedGuest's default).
        var written = options.Clean ? Math.Min(1L << 30, options.GuestMemBytes / 8) : options.GuestMemBytes;
        var expectedPage = backing == BenchBacking.Pages4K ? GuestPage.Size : (long)HugePageSettings.HugetlbPageSize;
        var said = new HashSet<string>();
        foreach (var run in runs)
        {
            string? warning = null;
            if (backing == BenchBacking.Thp && run.HugePageBytesBefore <= 0)
                warning = $"{name}: no transparent huge pages appeared behind the guest's RAM ({counter} by {Mib(run.HugePageBytesBefore)} MiB; "
                    + $"shmem_enabled is '{HugePageSettings.ShmemThpMode()}'): the {name} runs ran on 4 KiB pages";
            else if (backing != BenchBacking.Pages4K && run.HugePageBytesBefore < written * 9 / 10)
                warning = $"{name}: only {Mib(run.HugePageBytesBefore)} MiB of huge pages appeared for the {Mib(written)} MiB the guest wrote "
                    + $"({counter} by that much; host-wide counter: another process may have used or freed huge pages meanwhile)";
            else if (backing == BenchBacking.Pages4K && run.HugePageBytesBefore > written / 10)
                warning = $"{name}: shared memory in transparent huge pages grew by {Mib(run.HugePageBytesBefore)} MiB while the 4 KiB guest was made "
                    + $"(shmem_enabled is '{HugePageSettings.ShmemThpMode()}', or another process)";
            if (warning is not null && said.Add("huge"))
                yield return warning;
            if (run.HostPageSize != 0 && run.HostPageSize != expectedPage && said.Add("page"))
                yield return $"{name}: the device saw {run.HostPageSize}-byte host pages under the guest's RAM, not {expectedPage}";
        }
    }

    private static long Mib(long bytes) => bytes / (1L << 20);

    /// <summary>
    /// Runs every requested mode and the floor once on a 64 MiB guest on <paramref name="backing"/>, untimed, so that
    /// what is measured afterwards is the code's steady state and not the JIT compiling it (as BenchmarkDotNet's
    /// warm-up does).
    /// </summary>
    private void WarmUp(BenchOptions options, BenchBacking backing, CancellationToken ct)
    {
        var small = options with { GuestMemBytes = 64L << 20, InflateBytes = 32L << 20, Repeat = 1 };
        foreach (var mode in options.Modes)
            RunMode(small, backing, mode, progress: null, ct);
        MeasureFloor(small, backing, progress: null);
    }

    private BenchRun RunMode(BenchOptions options, BenchBacking backing, BenchMode mode, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        var sg = mode == BenchMode.Sg;
        var reporting = mode == BenchMode.Reporting;
        var release = mode == BenchMode.PfnPerPage ? ReleasePolicy.PerPage : ReleasePolicy.Coalesce;
        var inflateProgress = Throttled(progress, mode, BenchPhases.Inflate, options.InflateBytes, ct);
        var deflateProgress = Throttled(progress, mode, BenchPhases.Deflate, options.InflateBytes, ct);
        progress?.Report(new BenchProgress(mode, BenchPhases.Restore, 0, options.GuestMemBytes));
        using var rig = ExperimentRig.Create(options.Transport, new ExperimentSetup
        {
            GuestMemBytes = (ulong)options.GuestMemBytes,
            Profile = Profile(options),
            Clean = options.Clean,
            ScatterGather = sg,
            PageReporting = reporting,
            Release = release,
            ZeroOnAlloc = options.ZeroOnAlloc,
            QueueSize = QueueSize,
            Backing = BenchBackings.ToMemoryBacking(backing),
            Granularity = options.Granularity,
        });
        var pages = (ulong)(options.InflateBytes >> PageShift);
        var m = reporting
            ? ReportingExperiment.Measure(rig.Guest, rig.Device, rig.Driver, pages, Throttled(progress, mode, BenchPhases.Report, options.InflateBytes, ct))
            : BalloonExperiment.Measure(rig.Guest, rig.Device, rig.Driver, pages, inflateProgress, deflateProgress);
        return new BenchRun(mode, backing, options.Granularity, m);
    }

    private static BenchBackingSummary MeasureFloor(BenchOptions options, BenchBacking backing, IProgress<BenchProgress>? progress)
    {
        progress?.Report(new BenchProgress(options.Modes[^1], "floor", 0, options.InflateBytes));
        using var guest = SimulatedGuest.Create((ulong)options.GuestMemBytes, Profile(options), options.Clean,
            backing: BenchBackings.ToMemoryBacking(backing));
        // On huge pages released a host page at a time, the floor releases the whole host pages of each run.
        var wholeHostPages = backing == BenchBacking.Hugetlb || (backing == BenchBacking.Thp && options.Granularity == ReleaseGranularity.HostPage);
        var ms = BalloonExperiment.MeasureFloor(guest, (ulong)(options.InflateBytes >> PageShift), options.ZeroOnAlloc, wholeHostPages);
        return new BenchBackingSummary
        {
            Backing = backing,
            HostPageSize = (long)guest.HostPageSize,
            HugePageSource = guest.HugePageSource,
            FloorMs = ms,
        };
    }

    private static GuestProfile Profile(BenchOptions options) =>
        options.Profile == BenchProfile.Fragmented ? GuestProfile.Fragmented : GuestProfile.Idle;

    /// <summary>Turns the driver's page counts into at most one progress report per 64 MiB; cancels by throwing.</summary>
    private static IProgress<ulong> Throttled(IProgress<BenchProgress>? progress, BenchMode mode, string phase, long totalBytes, CancellationToken ct)
    {
        long next = 0;
        return new SyncProgress(pages =>
        {
            ct.ThrowIfCancellationRequested();
            var bytes = (long)pages << PageShift;
            if (progress is null || (bytes < next && bytes < totalBytes))
                return;
            next = bytes + ProgressStepBytes;
            progress.Report(new BenchProgress(mode, phase, bytes, totalBytes));
        });
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; would post to the pool).</summary>
    private sealed class SyncProgress(Action<ulong> report) : IProgress<ulong>
    {
        public void Report(ulong value) => report(value);
    }
}
