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
}
