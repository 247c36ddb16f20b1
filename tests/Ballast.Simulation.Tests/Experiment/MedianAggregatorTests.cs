using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Simulation.Tests.Experiment;

public class MedianAggregatorTests
{
    private static readonly BenchOptions s_options = new()
    {
        GuestMemBytes = 8L << 30,
        InflateBytes = 7L << 30,
        Modes = BenchModes.All,
        Repeat = 3,
    };

    [Theory]
    [InlineData(new[] { 5.0 }, 5.0)]
    [InlineData(new[] { 3.0, 1.0, 2.0 }, 2.0)]
    [InlineData(new[] { 10.0, 1.0, 1000.0, 2.0, 3.0 }, 3.0)]
    [InlineData(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    [InlineData(new[] { 1.0, 100.0 }, 50.5)]
    public void Median_OfDoubles(double[] values, double expected) =>
        Assert.Equal(expected, MedianAggregator.Median(values));

    [Theory]
    [InlineData(new[] { 7L }, 7L)]
    [InlineData(new[] { 9L, 1L, 5L }, 5L)]
    [InlineData(new[] { 1L, 2L }, 1L)]
    [InlineData(new[] { 2L, 4L }, 3L)]
    [InlineData(new[] { -1L, -2L }, -2L)]
    [InlineData(new[] { long.MaxValue, long.MaxValue - 2 }, long.MaxValue - 1)]
    [InlineData(new[] { long.MinValue, long.MinValue + 1 }, long.MinValue)]
    public void Median_OfLongs_RoundsEvenCountsDown(long[] values, long expected) =>
        Assert.Equal(expected, MedianAggregator.Median(values));

    [Fact]
    public void Median_OfNothing_Throws()
    {
        Assert.Throws<ArgumentException>(() => MedianAggregator.Median(Array.Empty<double>()));
        Assert.Throws<ArgumentException>(() => MedianAggregator.Median(Array.Empty<long>()));
    }

    [Fact]
    public void Aggregate_PicksMedianOfEachFieldPerMode()
    {
        var sg = SampleRuns.For(BenchMode.Sg, 7L << 30, 8L << 30);
        var runs = new List<BenchRun>
        {
            sg with { TotalMs = 30, AllocMs = 1, SendMs = 9, Kicks = 100, HostBytesAfter = 300 },
            sg with { TotalMs = 10, AllocMs = 3, SendMs = 8, Kicks = 300, HostBytesAfter = 100 },
            sg with { TotalMs = 20, AllocMs = 2, SendMs = 7, Kicks = 200, HostBytesAfter = 200 },
        };

        var report = MedianAggregator.Aggregate(BenchReport.For(s_options, 5, runs));

        var median = Assert.Single(report.Runs);
        Assert.Equal(BenchMode.Sg, median.Mode);
        Assert.Equal(20, median.TotalMs);
        Assert.Equal(2, median.AllocMs);
        Assert.Equal(8, median.SendMs);
        Assert.Equal(200, median.Kicks);
        Assert.Equal(200, median.HostBytesAfter);
        Assert.Equal(sg.Pages, median.Pages);
        Assert.Equal(5, report.FloorMs);
    }

    [Fact]
    public void Aggregate_KeepsModeOrderAndHeader()
    {
        var runs = new List<BenchRun>();
        foreach (var mode in BenchModes.All)
        {
            for (var i = 1; i <= 3; i++)
                runs.Add(SampleRuns.For(mode, 7L << 30, 8L << 30, scale: i));
        }

        var raw = BenchReport.For(s_options with { Profile = BenchProfile.Fragmented, Clean = true }, 42, runs);
        var report = MedianAggregator.Aggregate(raw);

        Assert.Equal(BenchModes.All, report.Runs.Select(run => run.Mode));
        Assert.Equal(BenchProfile.Fragmented, report.Profile);
        Assert.True(report.Clean);
        Assert.Equal(raw.GuestMemBytes, report.GuestMemBytes);
        Assert.Equal(42, report.FloorMs);
        // Scale 1, 2, 3: the median run is the scale-2 one.
        Assert.Equal(SampleRuns.For(BenchMode.Pfn, 7L << 30, 8L << 30, scale: 2), report.Runs[1]);
    }

    [Fact]
    public void Aggregate_OneRunPerMode_IsUnchanged()
    {
        var runs = BenchModes.All.Select(mode => SampleRuns.For(mode, 1L << 30, 2L << 30)).ToList();
        var report = MedianAggregator.Aggregate(BenchReport.For(s_options, 1, runs));
        Assert.Equal(runs, report.Runs);
    }

    [Fact]
    public void Aggregate_AnyFailedIntegrity_IsReported()
    {
        var ok = SampleRuns.For(BenchMode.Pfn, 7L << 30, 8L << 30);
        var runs = new[] { ok, ok with { Integrity = "page 12 not zero" }, ok, ok with { Integrity = "late failure" } };
        Assert.Equal("page 12 not zero", MedianAggregator.Aggregate(runs).Integrity);
        Assert.Equal(BenchRun.IntegrityOk, MedianAggregator.Aggregate([ok, ok, ok]).Integrity);
    }

    [Fact]
    public void Aggregate_RejectsMixedModesAndEmpty()
    {
        var pfn = SampleRuns.For(BenchMode.Pfn, 7L << 30, 8L << 30);
        var sg = SampleRuns.For(BenchMode.Sg, 7L << 30, 8L << 30);
        Assert.Throws<ArgumentException>(() => MedianAggregator.Aggregate([pfn, sg]));
        Assert.Throws<ArgumentException>(() => MedianAggregator.Aggregate(Array.Empty<BenchRun>()));
    }

    [Fact]
    public void Aggregate_KeepsBackingsApart()
    {
        var sg = SampleRuns.For(BenchMode.Sg, 7L << 30, 8L << 30);
        var runs = new List<BenchRun>
        {
            sg with { TotalMs = 300 },
            sg with { TotalMs = 100 },
            sg with { Backing = BenchBacking.Hugetlb, TotalMs = 3, HostPageSize = 2 << 20, HugePageBytesBefore = 8L << 30, HugePageBytesAfter = 1L << 30 },
            sg with { Backing = BenchBacking.Hugetlb, TotalMs = 1, HostPageSize = 2 << 20, HugePageBytesBefore = 8L << 30, HugePageBytesAfter = 3L << 30 },
        };

        var report = MedianAggregator.Aggregate(BenchReport.For(s_options, 5, runs));

        Assert.Equal([BenchBacking.Pages4K, BenchBacking.Hugetlb], report.Runs.Select(run => run.Backing));
        Assert.Equal([200.0, 2.0], report.Runs.Select(run => run.TotalMs));
        Assert.Equal(2L << 20, report.Runs[1].HostPageSize);
        Assert.Equal(2L << 30, report.Runs[1].HugePageBytesAfter);
        Assert.Throws<ArgumentException>(() => MedianAggregator.Aggregate([runs[0], runs[2]]));
    }
}
