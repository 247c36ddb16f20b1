using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestLab;

namespace Ballast.Guest.Tests;

/// <summary><see cref="FootprintTrend"/> picks the warm-up's last reading as baseline, the maxima after it, and the least-squares slope.</summary>
public sealed class FootprintTrendTests
{
    private static ProcessFootprint At(double seconds, long rssKib, int fds = 40, int threads = 20) =>
        new(TimeSpan.FromSeconds(seconds), rssKib, RssAnonKib: 1000, RssShmemKib: rssKib - 3000, JitCodeKib: rssKib - 3100, GuestRamKib: 100, threads, fds);

    [Fact]
    public void LeastSquaresSlope_StraightLine_IsItsSlope()
    {
        var slope = FootprintTrend.LeastSquaresSlope([(0, 10), (1, 13), (2, 16), (3, 19)]);

        Assert.Equal(3.0, slope, 9);
    }

    [Fact]
    public void LeastSquaresSlope_NoiseAroundFlat_IsNearZero_AndOnePointIsZero()
    {
        // Symmetric wobble: the line through it is flat.
        Assert.Equal(0.0, FootprintTrend.LeastSquaresSlope([(0, 5), (1, 7), (2, 7), (3, 5), (4, 5), (5, 7), (6, 7), (7, 5)]), 9);
        Assert.Equal(0.0, FootprintTrend.LeastSquaresSlope([(4, 5)]));
        Assert.Equal(0.0, FootprintTrend.LeastSquaresSlope([]));
    }

    [Fact]
    public void Analyse_BaselineIsTheLastReadingOfTheWarmup_MaximaAndSlopeFromThereOn()
    {
        // Warm-up to 20 s: the big readings before it do not count; after it RSS climbs 60 KiB a minute (1 KiB/s).
        List<ProcessFootprint> samples = [At(0, 9000, fds: 60, threads: 40), At(10, 8000), At(20, 5000), At(30, 5010), At(40, 5020, fds: 41), At(50, 5030, threads: 22)];

        var trend = FootprintTrend.Analyse(samples, TimeSpan.FromSeconds(20));

        Assert.Equal(5000, trend.Baseline.RssKib);
        Assert.Equal(5030, trend.End.RssKib);
        Assert.Equal(5030, trend.MaxRssKib);
        Assert.Equal(41, trend.MaxFds);
        Assert.Equal(22, trend.MaxThreads);
        Assert.Equal(4, trend.SteadySamples);
        Assert.Equal(60.0, trend.RssSlopeKibPerMinute, 6);
        Assert.Equal(0.0, trend.RssAnonSlopeKibPerMinute, 6);
        Assert.Equal(60.0, trend.JitCodeSlopeKibPerMinute, 6);
    }

    [Fact]
    public void MappedRssKib_SumsRssOfTheMappingsOfOnePath()
    {
        string[] smaps =
        [
            "7f0000000000-7f0000001000 r-xs 00000000 00:01 12   /memfd:doublemapper (deleted)",
            "Size:                  4 kB",
            "Rss:                   4 kB",
            "7f0000001000-7f0080001000 rw-s 00000000 00:01 13   /memfd:memory-backend-memfd (deleted)",
            "Rss:                 128 kB",
            "VmFlags: rd wr sh mr mw me ms sd",
            "7f0080001000-7f0080003000 rw-p 00000000 00:00 0 ",
            "Rss:                   8 kB",
            "7f0080003000-7f0080005000 r-xs 00001000 00:01 12   /memfd:doublemapper (deleted)",
            "Rss:                   8 kB",
        ];

        Assert.Equal(12, ProcessFootprint.MappedRssKib(smaps, ProcessFootprint.JitCodeMapping));
        Assert.Equal(128, ProcessFootprint.MappedRssKib(smaps, GuestRamFile.MemfdLinkPrefix));
        Assert.Equal(0, ProcessFootprint.MappedRssKib(smaps, "/nothing"));
    }

    [Fact]
    public void Analyse_NoReadingInTheWarmup_OrNothingAfter_Throws()
    {
        Assert.Throws<ArgumentException>(() => FootprintTrend.Analyse([At(25, 1), At(26, 1)], TimeSpan.FromSeconds(20)));
        Assert.Throws<ArgumentException>(() => FootprintTrend.Analyse([At(0, 1), At(19, 1)], TimeSpan.FromSeconds(20)));
    }
}
