using Ballast.Cli.Output;
using Ballast.Simulation.Experiment;

namespace Ballast.Cli.Tests;

public class BenchProgressTrackerTests
{
    private const long GiB = 1L << 30;

    private static readonly BenchOptions s_options = new()
    {
        GuestMemBytes = 8 * GiB,
        InflateBytes = 4 * GiB,
        Modes = BenchModes.All,
        Repeat = 2,
    };

    [Fact]
    public void Steps_AreEveryModeAndTheFloorPerRepeatAndBacking()
    {
        Assert.Equal(2 * (3 + 1), new BenchProgressTracker(s_options, (_, _) => { }).Steps);
        Assert.Equal(2 * 2 * (3 + 1), new BenchProgressTracker(s_options with { Backings = [BenchBacking.Pages4K, BenchBacking.Hugetlb] }, (_, _) => { }).Steps);
    }

    [Fact]
    public void Report_MovesThroughRestoreInflateDeflateAndTheFloor()
    {
        var seen = new List<(double Fraction, string Text)>();
        var tracker = new BenchProgressTracker(s_options, (fraction, text) => seen.Add((fraction, text)));

        tracker.Report(new BenchProgress(BenchMode.PfnPerPage, BenchPhases.Restore, 0, 8 * GiB));
        tracker.Report(new BenchProgress(BenchMode.PfnPerPage, BenchPhases.Inflate, 2 * GiB, 4 * GiB));
        tracker.Report(new BenchProgress(BenchMode.PfnPerPage, BenchPhases.Deflate, 4 * GiB, 4 * GiB));
        tracker.Report(new BenchProgress(BenchMode.Pfn, BenchPhases.Restore, 0, 8 * GiB));
        tracker.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Restore, 0, 8 * GiB));
        tracker.Report(new BenchProgress(BenchMode.Sg, "floor", 0, 4 * GiB));

        Assert.Equal([0, (0.05 + 0.275) / 8, 1.0 / 8, 1.0 / 8, 2.0 / 8, 3.0 / 8], seen.Select(s => Math.Round(s.Fraction, 9)));
        Assert.Equal("step 1/8 pfn-per-page: inflate 2048/4096 MiB", seen[1].Text);
        Assert.Equal("step 4/8 floor", seen[5].Text);
    }

    [Fact]
    public void Report_NeverGoesBack()
    {
        var tracker = new BenchProgressTracker(s_options, (_, _) => { });
        tracker.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Restore, 0, 8 * GiB));
        tracker.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Deflate, 3 * GiB, 4 * GiB));
        var high = tracker.Fraction;
        tracker.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Inflate, 0, 4 * GiB));

        Assert.Equal(high, tracker.Fraction);
    }
}
