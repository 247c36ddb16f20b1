using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Cli.Tests;

public class BenchSpreadTests
{
    [Fact]
    public void Of_GivesMinMedianMaxAndSampleStdev()
    {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, sample variance 32/7.
        var spread = SpreadFigures.Of([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(2, spread.Min);
        Assert.Equal(4.5, spread.Median);
        Assert.Equal(9, spread.Max);
        Assert.Equal(Math.Sqrt(32.0 / 7), spread.Stdev, 12);
    }

    [Fact]
    public void Of_OneValue_HasNoSpread() =>
        Assert.Equal(new SpreadFigures(3, 3, 3, 0), SpreadFigures.Of([3]));

    [Fact]
    public void Of_MixedModes_Throws() =>
        Assert.Throws<ArgumentException>(() => BenchSpread.Of(
            [SampleRuns.For(BenchMode.Sg, 1L << 30, 2L << 30), SampleRuns.For(BenchMode.Pfn, 1L << 30, 2L << 30)]));
}
