namespace Ballast.GuestLab.Tests;

/// <summary><see cref="DaemonDeviceShape"/>: the num_vqs and config_size QEMU needs for a daemon's <c>--features</c>.</summary>
public sealed class DaemonDeviceShapeTests
{
    [Theory]
    [InlineData(null, 3, 8)]
    [InlineData("none", 2, 8)]
    [InlineData("stats,deflate-on-oom", 3, 8)]
    [InlineData("deflate-on-oom,page-reporting", 3, 16)]
    [InlineData("stats,deflate-on-oom,page-reporting", 4, 16)]
    [InlineData("stats,deflate-on-oom,sg,must-tell-host,page-reporting", 4, 16)]
    [InlineData("stats,page-poison", 3, 16)]
    public void Of_CountsInflateDeflateStatsReporting_ConfigIs16WithPoisonOrReporting(string? features, int queues, int configSize) =>
        Assert.Equal(new DaemonDeviceShape(queues, configSize), DaemonDeviceShape.Of(features));

    [Fact]
    public void Of_UnknownFeature_Throws() =>
        Assert.Throws<ArgumentException>(() => DaemonDeviceShape.Of("stats,free-page-hint"));
}
