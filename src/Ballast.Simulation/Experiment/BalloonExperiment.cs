using System.Diagnostics;
using System.Runtime.CompilerServices;
using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Bitmap;
using Ballast.Virtio.Memory;
using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// The seed's experiment, whatever the transport: inflate a probed driver by a number of pages on a "vCPU"
/// thread, break the time down into the seed's stages (driver allocation, device translation and release, and the
/// rest: send), deflate it all, and check the guest's memory. Also the floor no protocol can beat.
/// </summary>
public static class BalloonExperiment
{
    private const int PageShift = GuestPage.Shift;

    /// <summary>Runs one inflate/deflate cycle of <paramref name="pages"/> on a probed <paramref name="driver"/>.</summary>
    /// <exception cref="InvalidOperationException">The driver failed, or the device counted guest errors in this clean run.</exception>
    public static ModeMeasurement Measure(SimulatedGuest guest, BalloonDevice device, BalloonDriver driver, ulong pages,
        IProgress<ulong>? inflateProgress = null, IProgress<ulong>? deflateProgress = null)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(driver);
        var start = RunMark.Take(guest, device, driver);
        var drv0 = driver.Counters.Snapshot();
        var sw = Stopwatch.StartNew();
        var inflated = OnVcpu(() => driver.Inflate(pages, inflateProgress));
        var totalMs = sw.Elapsed.TotalMilliseconds;
        var end = RunMark.Take(guest, device, driver);
        var drv1 = driver.Counters.Snapshot();

        var ballooned = new XBitmap();
        foreach (var pfn in driver.Pages)
            ballooned.Set(pfn);
        sw.Restart();
        OnVcpu(() => driver.Deflate(inflated, deflateProgress));
        var deflateMs = sw.Elapsed.TotalMilliseconds;
        return Breakdown(guest, device, start, end, totalMs, drv1.AllocTicks - drv0.AllocTicks, guest.CheckIntegrity(ballooned)) with
        {
            DeflateMs = Round(deflateMs),
            Pages = (long)inflated,
            Buffers = drv1.Buffers - drv0.Buffers,
        };
    }

    /// <summary>
    /// The figures every run reports from its timed part between <paramref name="start"/> and <paramref name="end"/>:
    /// the seed's stages (alloc from <paramref name="allocTicks"/>, translate and release from the device, send the
    /// rest), kicks, runs and release calls, host memory, huge pages and integrity; pages, buffers and deflate are 0
    /// for the caller to fill in.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device counted guest errors in this clean run.</exception>
    internal static ModeMeasurement Breakdown(SimulatedGuest guest, BalloonDevice device, in RunMark start, in RunMark end,
        double totalMs, long allocTicks, IntegrityReport integrity)
    {
        if (device.Counters.TotalErrors != 0)
            throw new InvalidOperationException($"the device counted {device.Counters.TotalErrors} guest errors in a clean run");
        var allocMs = Ms(allocTicks);
        var translateMs = Ms(end.Device.TranslateTicks - start.Device.TranslateTicks);
        var releaseMs = Ms(end.Device.ReleaseTicks - start.Device.ReleaseTicks);
        return new ModeMeasurement
        {
            TotalMs = Round(totalMs),
            AllocMs = Round(allocMs),
            // Everything that is not allocation, translation or release: queue work, kicks, interrupts, waiting.
            SendMs = Round(Math.Max(0, totalMs - allocMs - translateMs - releaseMs)),
            TranslateMs = Round(translateMs),
            ReleaseMs = Round(releaseMs),
            DeflateMs = 0,
            Pages = 0,
            Buffers = 0,
            Kicks = end.Kicks - start.Kicks,
            Runs = end.Device.Runs - start.Device.Runs,
            ReleaseCalls = end.Device.ReleaseCalls - start.Device.ReleaseCalls,
            HostBytesBefore = start.HostBytes,
            HostBytesAfter = end.HostBytes,
            Integrity = integrity.ToString(),
            HostPageSize = (long)(device.Memory is { Regions.Count: > 0 } seen ? seen.Regions[^1].HostPageSize : guest.HostPageSize),
            HugePageBytesBefore = start.HugePageBytes,
            HugePageBytesAfter = end.HugePageBytes,
        };
    }

    /// <summary>
    /// The floor, in milliseconds: allocate <paramref name="pages"/> order-0 pages from <paramref name="guest"/>'s
    /// allocator (zeroing them if <paramref name="zeroOnAlloc"/>), then one release call per maximal run of
    /// contiguous frames among them — no device, no protocol. Finding the maximal runs (sorting the frames) is not
    /// timed: the floor is a lower bound, and no mode can release the same frames in fewer calls (merging them as
    /// they come, as earlier, made one call per 4 MiB buddy block: 1,792 calls for 7 GiB, where sg makes one, and the
    /// floor above sg on dirty 4 KiB memory). With <paramref name="wholeHostPages"/>
    /// (huge-page RAM released a host page at a time) each run is cut down to the whole host pages inside it, the
    /// least the device must release; the partial pages at its ends would only be zeroed (hugetlb) or split (THP).
    /// </summary>
    public static double MeasureFloor(SimulatedGuest guest, ulong pages, bool zeroOnAlloc, bool wholeHostPages = false)
    {
        ArgumentNullException.ThrowIfNull(guest);
        var pfns = new ulong[pages];
        pfns.AsSpan().Clear(); // faulted in before timing, as the driver's page list is
        var pieces = new HostRange[guest.Memory.Regions.Count];
        var sw = Stopwatch.StartNew();
        var got = AllocateFloor(guest, pfns, zeroOnAlloc);
        var allocMs = sw.Elapsed.TotalMilliseconds;
        Array.Sort(pfns, 0, (int)got);
        sw.Restart();
        for (ulong i = 0; i < got;)
        {
            var start = pfns[i];
            var j = i + 1;
            while (j < got && pfns[j] == pfns[j - 1] + 1)
                j++;
            var n = guest.Memory.Translate(start << PageShift, (j - i) << PageShift, pieces);
            for (var k = 0; k < n; k++)
            {
                if (!wholeHostPages)
                    guest.Memory.Release(pieces[k]);
                else if (WholeHostPages(pieces[k]) is { } whole)
                    guest.Memory.Release(whole);
            }
            i = j;
        }
        return Round(allocMs + sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>The whole host pages of <paramref name="piece"/>'s file inside it, or null if there is none.</summary>
    private static HostRange? WholeHostPages(in HostRange piece)
    {
        var page = piece.Region.HostPageSize;
        var start = (piece.FdOffset + page - 1) / page * page;
        var end = (piece.FdOffset + piece.Length) / page * page;
        if (end <= start)
            return null;
        var skip = start - piece.FdOffset;
        return new HostRange(piece.Region, piece.GuestPhysAddr + skip, piece.HostAddress + (nint)skip, start, end - start);
    }

    /// <summary>The floor's allocation loop, compiled as the driver's is (fully optimised from the first call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong AllocateFloor(SimulatedGuest guest, ulong[] pfns, bool zeroOnAlloc)
    {
        ulong got = 0;
        while (got < (ulong)pfns.Length && guest.Allocator.TryAlloc(0, out var pfn))
        {
            if (zeroOnAlloc)
                guest.Memory.GetSpan(pfn << PageShift, GuestPage.Size).Clear();
            pfns[got++] = pfn;
        }
        return got;
    }

    /// <summary>Runs <paramref name="work"/> on a dedicated "vCPU" thread, as the guest driver would run.</summary>
    internal static T OnVcpu<T>(Func<T> work)
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

    internal static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    internal static double Round(double ms) => Math.Round(ms, 2);
}
