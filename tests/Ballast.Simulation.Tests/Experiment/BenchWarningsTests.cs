using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Simulation.Tests.Experiment;

/// <summary>The bench flags runs whose huge-page evidence does not match the backing asked for.</summary>
public sealed class BenchWarningsTests
{
    private const long GiB = 1L << 30;
    private const long HugePage = 2L << 20;

    private static readonly BenchOptions s_options = new() { GuestMemBytes = 8 * GiB, InflateBytes = 7 * GiB, Modes = BenchModes.All };

    [Fact]
    public void Thp_WithNoHugePagesSeen_IsFlaggedOnce()
    {
        var warnings = BenchEngine.Warnings(s_options, BenchBacking.Thp,
            [Run(BenchBacking.Thp, HugePage, 0), Run(BenchBacking.Thp, HugePage, 0)]).ToList();

        var warning = Assert.Single(warnings);
        Assert.Contains("no transparent huge pages", warning, StringComparison.Ordinal);
        Assert.Contains("ShmemHugePages", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void HugePages_ShortOfTheWrittenGuest_AreFlagged()
    {
        var warning = Assert.Single(BenchEngine.Warnings(s_options, BenchBacking.Hugetlb, [Run(BenchBacking.Hugetlb, HugePage, 4 * GiB)]));
        Assert.Contains("only 4096 MiB of huge pages", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A4KGuestInHugePages_IsFlagged() =>
        Assert.Contains("grew by 8192 MiB", Assert.Single(BenchEngine.Warnings(s_options, BenchBacking.Pages4K, [Run(BenchBacking.Pages4K, 4096, 8 * GiB)])),
            StringComparison.Ordinal);

    [Fact]
    public void ADeviceSeeingAnotherPageSize_IsFlagged() =>
        Assert.Contains("the device saw 2097152-byte host pages",
            Assert.Single(BenchEngine.Warnings(s_options, BenchBacking.Pages4K, [Run(BenchBacking.Pages4K, HugePage, 0)])), StringComparison.Ordinal);

    [Theory]
    [InlineData(BenchBacking.Pages4K, 4096L, 0L, false)]
    [InlineData(BenchBacking.Thp, HugePage, 8 * GiB - HugePage, false)]
    [InlineData(BenchBacking.Hugetlb, HugePage, 8 * GiB, false)]
    [InlineData(BenchBacking.Hugetlb, HugePage, GiB, true)]
    public void RunsThatMatchTheirBacking_AreNotFlagged(BenchBacking backing, long pageSize, long hugeBytes, bool clean) =>
        Assert.Empty(BenchEngine.Warnings(s_options with { Clean = clean }, backing, [Run(backing, pageSize, hugeBytes)]));

    private static BenchRun Run(BenchBacking backing, long hostPageSize, long hugeBytes) =>
        SampleRuns.For(BenchMode.Sg, 7 * GiB, 8 * GiB) with
        {
            Backing = backing,
            HostPageSize = hostPageSize,
            HugePageBytesBefore = hugeBytes,
            HugePageBytesAfter = hugeBytes / 8,
        };
}
