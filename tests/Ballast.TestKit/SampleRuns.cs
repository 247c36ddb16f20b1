using Ballast.Simulation.Experiment;

namespace Ballast.TestKit;

/// <summary>Plausible <see cref="BenchRun"/> values for tests.</summary>
internal static class SampleRuns
{
    /// <summary>
    /// A run of <paramref name="mode"/> inflating <paramref name="inflateBytes"/>; stage times are
    /// multiplied by <paramref name="scale"/> so that repeats differ.
    /// </summary>
    public static BenchRun For(BenchMode mode, long inflateBytes, long guestMemBytes, double scale = 1)
    {
        var pages = inflateBytes / 4096;
        var (alloc, send, translate, release, buffers, runs, releaseCalls) = mode switch
        {
            BenchMode.PfnPerPage => (812.4, 2400.15, 1301.0, 5120.4, (pages + 255) / 256, pages, pages),
            BenchMode.Pfn => (812.4, 2380.0, 640.25, 410.0, (pages + 255) / 256, 7L, 7L),
            BenchMode.Reporting => (3.5, 40.0, 1.5, 385.0, 56L, 1792L, 1792L),
            _ => (790.0, 12.5, 1.25, 380.7, 7L, 7L, 7L),
        };
        return new BenchRun
        {
            Mode = mode,
            AllocMs = alloc * scale,
            SendMs = send * scale,
            TranslateMs = translate * scale,
            ReleaseMs = release * scale,
            TotalMs = (alloc + send + translate + release) * scale,
            Pages = pages,
            Buffers = buffers,
            Kicks = buffers,
            Runs = runs,
            ReleaseCalls = releaseCalls,
            HostBytesBefore = guestMemBytes,
            HostBytesAfter = guestMemBytes - inflateBytes,
            Integrity = BenchRun.IntegrityOk,
            DeflateMs = mode == BenchMode.Reporting ? 0 : 99.5 * scale,
            Reports = mode == BenchMode.Reporting ? buffers : 0,
            ReportedEntries = mode == BenchMode.Reporting ? runs : 0,
            ReportPasses = mode == BenchMode.Reporting ? 14 : 0,
            ReportDelayMs = mode == BenchMode.Reporting ? 28_000 : 0,
        };
    }
}
