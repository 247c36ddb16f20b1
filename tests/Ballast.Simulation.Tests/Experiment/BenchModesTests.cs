using Ballast.Simulation.Experiment;

namespace Ballast.Simulation.Tests.Experiment;

public class BenchModesTests
{
    [Fact]
    public void All_RunsInTheSpecifiedOrder() =>
        Assert.Equal(["pfn-per-page", "pfn", "sg"], BenchModes.All.Select(BenchModes.Name));

    [Theory]
    [InlineData("all", new[] { BenchMode.PfnPerPage, BenchMode.Pfn, BenchMode.Sg })]
    [InlineData("pfn-per-page", new[] { BenchMode.PfnPerPage })]
    [InlineData("pfn", new[] { BenchMode.Pfn })]
    [InlineData("sg", new[] { BenchMode.Sg })]
    public void Select_MapsCommandLineValues(string value, BenchMode[] expected) =>
        Assert.Equal(expected, BenchModes.Select(value));

    [Fact]
    public void Select_WithReporting_AddsItAfterTheModes()
    {
        Assert.Equal([BenchMode.Sg, BenchMode.Reporting], BenchModes.Select("sg", reporting: true));
        Assert.Equal([.. BenchModes.All, BenchMode.Reporting], BenchModes.Select("all", reporting: true));
        Assert.Equal([BenchMode.Pfn], BenchModes.Select("pfn", reporting: false));
        Assert.Equal("reporting", BenchModes.Name(BenchMode.Reporting));
    }

    [Theory]
    [InlineData("reporting")]
    [InlineData("SG")]
    [InlineData("pfn_per_page")]
    [InlineData("")]
    public void Select_RejectsOtherValues(string value) =>
        Assert.Throws<ArgumentException>(() => BenchModes.Select(value));

    [Fact]
    public void Profiles_RoundTrip()
    {
        foreach (var profile in BenchProfiles.All)
            Assert.Equal(profile, BenchProfiles.Parse(BenchProfiles.Name(profile)));
        Assert.Throws<ArgumentException>(() => BenchProfiles.Parse("busy"));
    }
}
