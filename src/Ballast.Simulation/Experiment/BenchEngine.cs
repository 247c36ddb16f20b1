using Ballast.Virtio.Memory;
using Ballast.Balloon.Device;
using Ballast.Simulation.Guest;

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
    public BenchReport Run(BenchOptions options, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var runs = new List<BenchRun>();
        var floor = double.MaxValue;
        WarmUp(options, ct);
        for (var r = 0; r < options.Repeat; r++)
        {
            foreach (var mode in options.Modes)
            {
                ct.ThrowIfCancellationRequested();
                runs.Add(RunMode(options, mode, progress, ct));
            }
            ct.ThrowIfCancellationRequested();
            // The floor is a lower bound: keep the cheapest of the repeats.
            floor = Math.Min(floor, MeasureFloor(options, progress));
        }
        return BenchReport.For(options, floor, runs);
    }

    /// <summary>
    /// Runs every requested mode and the floor once on a 64 MiB guest, untimed, so that what is measured afterwards
    /// is the code's steady state and not the JIT compiling it (as BenchmarkDotNet's warm-up does).
    /// </summary>
    private void WarmUp(BenchOptions options, CancellationToken ct)
    {
        var small = options with { GuestMemBytes = 64L << 20, InflateBytes = 32L << 20, Repeat = 1 };
        foreach (var mode in options.Modes)
            RunMode(small, mode, progress: null, ct);
        MeasureFloor(small, progress: null);
    }

    private BenchRun RunMode(BenchOptions options, BenchMode mode, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        var sg = mode == BenchMode.Sg;
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
            Release = release,
            ZeroOnAlloc = options.ZeroOnAlloc,
            QueueSize = QueueSize,
        });
        var m = BalloonExperiment.Measure(rig.Guest, rig.Device, rig.Driver, (ulong)(options.InflateBytes >> PageShift), inflateProgress, deflateProgress);
        return new BenchRun(mode, m);
    }

    private static double MeasureFloor(BenchOptions options, IProgress<BenchProgress>? progress)
    {
        progress?.Report(new BenchProgress(options.Modes[^1], "floor", 0, options.InflateBytes));
        using var guest = SimulatedGuest.Create((ulong)options.GuestMemBytes, Profile(options), options.Clean);
        return BalloonExperiment.MeasureFloor(guest, (ulong)(options.InflateBytes >> PageShift), options.ZeroOnAlloc);
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
