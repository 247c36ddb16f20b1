
namespace Ballast.Daemon.Tests;

public class ServeFeatureListTests
{
    [Theory]
    [InlineData("stats,deflate-on-oom", new[] { "stats", "deflate-on-oom" })]
    [InlineData("sg", new[] { "sg" })]
    [InlineData(" Stats , SG ,must-tell-host", new[] { "stats", "sg", "must-tell-host" })]
    [InlineData("none", new string[0])]
    [InlineData("", new string[0])]
    [InlineData("stats,stats", new[] { "stats" })]
    [InlineData("stats,page-reporting,Page-Poison", new[] { "stats", "page-reporting", "page-poison" })]
    public void TryParse_AcceptsKnownNames(string text, string[] expected)
    {
        Assert.True(ServeFeatureList.TryParse(text, out var features, out var error), error);
        Assert.Equal(expected.Order(), features.Order());
    }

    [Fact]
    public void TryParse_NamesTheUnknownOnesAndListsTheKnown()
    {
        Assert.False(ServeFeatureList.TryParse("stats,balloon,free-page-hint", out _, out var error));
        Assert.Contains("'balloon', 'free-page-hint'", error, StringComparison.Ordinal);
        Assert.Contains("must-tell-host, stats, deflate-on-oom, page-poison, page-reporting, sg", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDeviceOptions_OffersExactlyTheNamedFeatures()
    {
        Assert.True(ServeFeatureList.TryParse("must-tell-host,sg", out var features, out _));

        var options = ServeFeatureList.ToDeviceOptions(features, 3, Ballast.Balloon.Device.ReleasePolicy.PerPage);

        Assert.True(options.MustTellHost);
        Assert.False(options.StatsQueue);
        Assert.False(options.DeflateOnOom);
        Assert.True(options.ScatterGather);
        Assert.Equal(3, options.SgBit);
        Assert.Equal(Ballast.Balloon.Device.ReleasePolicy.PerPage, options.Release);
        Assert.False(options.PagePoison);
        Assert.False(options.PageReporting);
    }

    [Fact]
    public void PagePoisonAndReporting_AreOfferedOnRequest_NotByDefault()
    {
        Assert.DoesNotContain("page-reporting", ServeFeatureList.Default);
        Assert.DoesNotContain("page-poison", ServeFeatureList.Default);
        Assert.True(ServeFeatureList.TryParse("stats,page-poison,page-reporting", out var features, out _));

        var options = ServeFeatureList.ToDeviceOptions(features, Ballast.Balloon.Device.BalloonFeatures.DefaultSgBit, Ballast.Balloon.Device.ReleasePolicy.Coalesce);
        var device = new Ballast.Balloon.Device.BalloonDevice(options);

        Assert.True(options.PagePoison);
        Assert.True(options.PageReporting);
        Assert.Equal(4, device.QueueCount);
        Assert.Equal(16, device.ConfigSize);
        Assert.Equal(["stats", "page-poison", "page-reporting"], Ballast.Daemon.Api.BalloonFeatureNames.FromBits(device.OfferedFeatures, options));
    }

    [Fact]
    public void AnSgBitOnPoisonOrReporting_IsNotNamedAsThem()
    {
        var options = new Ballast.Balloon.Device.BalloonDeviceOptions { ScatterGather = true, SgBit = 5, StatsQueue = false, DeflateOnOom = false };
        Assert.Equal(["sg"], Ballast.Daemon.Api.BalloonFeatureNames.FromBits(new Ballast.Balloon.Device.BalloonDevice(options).OfferedFeatures, options));
    }
}
