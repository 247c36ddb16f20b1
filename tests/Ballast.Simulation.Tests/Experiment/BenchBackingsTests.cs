using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Tests.Experiment;

public sealed class BenchBackingsTests
{
    [Theory]
    [InlineData("4k", new[] { BenchBacking.Pages4K })]
    [InlineData("hugetlb", new[] { BenchBacking.Hugetlb })]
    [InlineData("4k,hugetlb", new[] { BenchBacking.Pages4K, BenchBacking.Hugetlb })]
    [InlineData("hugetlb, thp,4k", new[] { BenchBacking.Hugetlb, BenchBacking.Thp, BenchBacking.Pages4K })]
    [InlineData("thp,thp", new[] { BenchBacking.Thp })]
    public void ParseList_KeepsTheOrderGivenOnce(string value, BenchBacking[] expected) =>
        Assert.Equal(expected, BenchBackings.ParseList(value));

    [Theory]
    [InlineData("2m")]
    [InlineData("4k,")]
    [InlineData("")]
    [InlineData("4K")]
    public void TryParseList_RefusesWhatNamesNoBacking(string value)
    {
        Assert.False(BenchBackings.TryParseList(value, out _, out var error));
        Assert.StartsWith("--backing: '", error, StringComparison.Ordinal);
        Assert.Contains("4k, thp, hugetlb", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BenchBackings.ParseList(value));
    }

    [Fact]
    public void Names_RoundTripAndMapToGuestMemory()
    {
        Assert.Equal(["4k", "thp", "hugetlb"], BenchBackings.CommandLineValues);
        Assert.Equal([MemoryBacking.Pages4K, MemoryBacking.Thp, MemoryBacking.Hugetlb], BenchBackings.All.Select(BenchBackings.ToMemoryBacking));
        Assert.Equal("\"hugetlb\"", JsonSerializer.Serialize(BenchBacking.Hugetlb));
        Assert.Equal("\"4k\"", JsonSerializer.Serialize(BenchBacking.Pages4K));
    }

    [Fact]
    public void ReleaseGranularities_NamesAndParse()
    {
        Assert.Equal(["host-page", "4k"], ReleaseGranularities.CommandLineValues);
        Assert.Equal(ReleaseGranularity.Page4K, ReleaseGranularities.Parse("4k"));
        Assert.Equal(ReleaseGranularity.HostPage, ReleaseGranularities.Parse("host-page"));
        Assert.Throws<ArgumentException>(() => ReleaseGranularities.Parse("2m"));
    }
}
