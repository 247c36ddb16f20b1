using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>Plausible aggregated <see cref="BenchReport"/>s for writer tests.</summary>
internal static class SampleReports
{
    /// <summary>An 8 GiB guest inflating 7 GiB in every mode, one run per mode.</summary>
    public static BenchReport AllModes(double floorMs = 380.5) => BenchReport.For(
        new BenchOptions { GuestMemBytes = 8L << 30, InflateBytes = 7L << 30, Modes = BenchModes.All },
        floorMs,
        [.. BenchModes.All.Select(mode => SampleRuns.For(mode, 7L << 30, 8L << 30))]);

    /// <summary>The same guest on 4 KiB pages and on hugetlb, every mode on each, with each backing's floor.</summary>
    public static BenchReport TwoBackings()
    {
        var options = new BenchOptions
        {
            GuestMemBytes = 8L << 30,
            InflateBytes = 7L << 30,
            Modes = BenchModes.All,
            Backings = [BenchBacking.Pages4K, BenchBacking.Hugetlb],
        };
        var fourK = BenchModes.All.Select(mode => SampleRuns.For(mode, 7L << 30, 8L << 30) with { HostPageSize = 4096 });
        var hugetlb = BenchModes.All.Select(mode => SampleRuns.For(mode, 7L << 30, 8L << 30, scale: 0.05) with
        {
            Backing = BenchBacking.Hugetlb,
            HostPageSize = 2L << 20,
            HugePageBytesBefore = 8L << 30,
            HugePageBytesAfter = 1L << 30,
        });
        return BenchReport.For(options,
            [
                new BenchBackingSummary { Backing = BenchBacking.Pages4K, HostPageSize = 4096, HugePageSource = "ShmemHugePages", FloorMs = 380.5 },
                new BenchBackingSummary { Backing = BenchBacking.Hugetlb, HostPageSize = 2L << 20, HugePageSource = "HugePages_Free", FloorMs = 12.25 },
            ],
            [.. fourK, .. hugetlb],
            []);
    }
}
