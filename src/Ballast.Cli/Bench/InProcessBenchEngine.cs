using System.Diagnostics;
using Ballast.Balloon.Device;
using Ballast.Balloon.Driver;
using Ballast.Balloon.Guest;
using Ballast.Bitmap;
using Ballast.Virtio.Memory;

namespace Ballast.Cli.Bench;

/// <summary>
/// The seed's experiment in-process: for each mode a fresh simulated guest (the profile restored), the device on
/// its own thread, the driver on a "vCPU" thread; inflate, measure, deflate, check integrity. Also measures the
/// floor: the same allocation from the same allocator with no device, plus one release call per run.
/// </summary>
public sealed class InProcessBenchEngine : IBenchEngine
{
    private const int PageShift = 12;
    private const long ProgressStepBytes = 64L << 20;

    /// <summary>Virtqueue size the device offers (QEMU's balloon uses 128).</summary>
    public int QueueSize { get; init; } = 128;

    /// <inheritdoc />
    public BenchReport Run(BenchOptions options, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var runs = new List<BenchRun>();
        double floor = double.MaxValue;
        for (var r = 0; r < options.Repeat; r++)
        {
            foreach (var mode in options.Modes)
            {
                ct.ThrowIfCancellationRequested();
                runs.Add(RunMode(options, mode, progress, ct));
            }
            ct.ThrowIfCancellationRequested();
            // The floor is the cheapest of the repeats: it is a lower bound.
            floor = Math.Min(floor, MeasureFloor(options, progress, ct));
        }
        return BenchReport.For(options, Math.Round(floor, 2), runs);
    }

    private SimulatedGuest CreateGuest(BenchOptions options, BenchMode mode, IProgress<BenchProgress>? progress)
    {
        progress?.Report(new BenchProgress(mode, BenchPhases.Restore, 0, options.GuestMemBytes));
        var guest = SimulatedGuest.Create((ulong)options.GuestMemBytes,
            options.Profile == BenchProfile.Fragmented ? GuestProfile.Fragmented : GuestProfile.Idle, options.Clean);
        progress?.Report(new BenchProgress(mode, BenchPhases.Restore, options.GuestMemBytes, options.GuestMemBytes));
        return guest;
    }

    private BenchRun RunMode(BenchOptions options, BenchMode mode, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        using var guest = CreateGuest(options, mode, progress);
        var device = new BalloonDevice(new BalloonDeviceOptions
        {
            ScatterGather = mode == BenchMode.Sg,
            Release = mode == BenchMode.PfnPerPage ? ReleasePolicy.PerPage : ReleasePolicy.Coalesce,
            MustTellHost = true,
        })
        { Memory = guest.Memory };
        using var transport = new InProcessTransport(device, QueueSize);
        using var driver = new BalloonDriver(guest, transport, new BalloonDriverOptions
        {
            UseScatterGather = mode == BenchMode.Sg,
            ZeroOnAlloc = options.ZeroOnAlloc,
        });
        driver.Probe();
        var pages = (ulong)(options.InflateBytes >> PageShift);

        var hostBefore = guest.HostBytes;
        var dev0 = device.Counters.Snapshot();
        var drv0 = driver.Counters.Snapshot();
        var kicks0 = driver.Kicks;
        var inflateProgress = Throttled(progress, mode, BenchPhases.Inflate, options.InflateBytes, ct);
        var sw = Stopwatch.StartNew();
        var inflated = OnVcpu(() => driver.Inflate(pages, inflateProgress));
        var totalMs = sw.Elapsed.TotalMilliseconds;
        var dev1 = device.Counters.Snapshot();
        var drv1 = driver.Counters.Snapshot();
        var kicks1 = driver.Kicks;
        var hostAfter = guest.HostBytes;

        var ballooned = new XBitmap();
        foreach (var pfn in driver.Pages)
            ballooned.Set(pfn);
        var deflateProgress = Throttled(progress, mode, BenchPhases.Deflate, (long)inflated << PageShift, ct);
        sw.Restart();
        OnVcpu(() => driver.Deflate(inflated, deflateProgress));
        var deflateMs = sw.Elapsed.TotalMilliseconds;
        var integrity = guest.CheckIntegrity(ballooned);
        if (device.Counters.TotalErrors != 0)
            throw new InvalidOperationException($"the device counted {device.Counters.TotalErrors} guest errors in a clean run");

        var allocMs = (drv1.AllocTicks - drv0.AllocTicks) * 1000.0 / Stopwatch.Frequency;
        var translateMs = (dev1.TranslateTicks - dev0.TranslateTicks) * 1000.0 / Stopwatch.Frequency;
        var releaseMs = (dev1.ReleaseTicks - dev0.ReleaseTicks) * 1000.0 / Stopwatch.Frequency;
        return new BenchRun
        {
            Mode = mode,
            TotalMs = Round(totalMs),
            AllocMs = Round(allocMs),
            // Everything that is not allocation, translation or release: queue work, kicks, interrupts, waiting.
            SendMs = Round(Math.Max(0, totalMs - allocMs - translateMs - releaseMs)),
            TranslateMs = Round(translateMs),
            ReleaseMs = Round(releaseMs),
            DeflateMs = Round(deflateMs),
            Pages = (long)inflated,
            Buffers = drv1.Buffers - drv0.Buffers,
            Kicks = kicks1 - kicks0,
            Runs = dev1.Runs - dev0.Runs,
            ReleaseCalls = dev1.ReleaseCalls - dev0.ReleaseCalls,
            HostBytesBefore = hostBefore,
            HostBytesAfter = hostAfter,
            Integrity = integrity.ToString(),
        };
    }

    /// <summary>
    /// The floor: allocate the same pages from the same allocator on a restored guest, then one release call
    /// per contiguous run of them (consecutive PFNs merged as they come, no sorting) — no protocol at all.
    /// </summary>
    private static double MeasureFloor(BenchOptions options, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        using var guest = CreateGuestForFloor(options, progress);
        ct.ThrowIfCancellationRequested();
        var pages = options.InflateBytes >> PageShift;
        var pfns = new ulong[pages];
        var pieces = new HostRange[guest.Memory.Regions.Count];
        var sw = Stopwatch.StartNew();
        long got = 0;
        while (got < pages && guest.Allocator.TryAlloc(0, out var pfn))
        {
            if (options.ZeroOnAlloc)
                guest.Memory.GetSpan(pfn << PageShift, 4096).Clear();
            pfns[got++] = pfn;
        }
        for (long i = 0; i < got;)
        {
            var start = pfns[i];
            var j = i + 1;
            while (j < got && pfns[j] == pfns[j - 1] + 1)
                j++;
            var n = guest.Memory.Translate(start << PageShift, (ulong)(j - i) << PageShift, pieces);
            for (var k = 0; k < n; k++)
                guest.Memory.Release(pieces[k]);
            i = j;
        }
        return sw.Elapsed.TotalMilliseconds;
    }

    private static SimulatedGuest CreateGuestForFloor(BenchOptions options, IProgress<BenchProgress>? progress)
    {
        var mode = options.Modes[^1];
        progress?.Report(new BenchProgress(mode, "floor", 0, options.GuestMemBytes));
        return SimulatedGuest.Create((ulong)options.GuestMemBytes,
            options.Profile == BenchProfile.Fragmented ? GuestProfile.Fragmented : GuestProfile.Idle, options.Clean);
    }

    /// <summary>Runs <paramref name="work"/> on a dedicated "vCPU" thread, as the guest driver would run.</summary>
    private static T OnVcpu<T>(Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { Name = "ballast-vcpu0" };
        thread.Start();
        thread.Join();
        if (error is OperationCanceledException cancelled)
            throw new OperationCanceledException(cancelled.Message, cancelled, cancelled.CancellationToken);
        if (error is not null)
            throw new InvalidOperationException($"the guest driver failed: {error.Message}", error);
        return result;
    }

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

    private static double Round(double ms) => Math.Round(ms, 2);

    private sealed class SyncProgress(Action<ulong> report) : IProgress<ulong>
    {
        public void Report(ulong value) => report(value);
    }
}
