using Ballast.GuestBench;
using Ballast.Cli.Output;

namespace Ballast.Cli.Tests;

/// <summary><c>ballast guest-bench --driver</c>: the values, the kernel command line each picks, and what --device qemu refuses (no guest needed).</summary>
public sealed class GuestBenchDriversTests
{
    [Theory]
    [InlineData("stock", new[] { "stock" })]
    [InlineData("sg", new[] { "sg" })]
    [InlineData("sg-highorder", new[] { "sg-highorder" })]
    [InlineData("all", new[] { "stock", "sg", "sg-highorder" })]
    public void Drivers_Select(string value, string[] drivers) => Assert.Equal(drivers, GuestBenchDrivers.Select(value).Select(GuestBenchDrivers.Name));

    [Theory]
    [InlineData("stock", "ballast.module=virtio_balloon", "stats,deflate-on-oom")]
    [InlineData("sg", "ballast.module=ballast_balloon", "stats,deflate-on-oom,sg")]
    [InlineData("sg-highorder", "ballast.module=ballast_balloon ballast.modargs=alloc_order=9", "stats,deflate-on-oom,sg")]
    public void Driver_PicksModule_ModuleArguments_AndDaemonFeatures(string name, string kernelArguments, string features)
    {
        Assert.True(GuestBenchDrivers.TryParse(name, out var driver));
        Assert.Equal(kernelArguments, GuestBenchDrivers.KernelArguments(driver));
        Assert.Equal(features, GuestBenchRunner.DaemonFeatures(driver));
    }

    [Theory]
    [InlineData("stock", "ballast.module=virtio_balloon")]
    [InlineData("sg", "ballast.module=ballast_balloon ballast.modargs=dyndbg=+p")]
    [InlineData("sg-highorder", "ballast.module=ballast_balloon ballast.modargs=alloc_order=9,dyndbg=+p")]
    public void Driver_Verbose_AsksBallastsModuleForItsBatchLines(string name, string kernelArguments)
    {
        Assert.True(GuestBenchDrivers.TryParse(name, out var driver));
        Assert.Equal(kernelArguments, GuestBenchDrivers.KernelArguments(driver, verbose: true));
    }

    [Theory]
    [InlineData("qemu", "sg")]
    [InlineData("qemu", "sg-highorder")]
    [InlineData("qemu", "all")]
    [InlineData("both", "sg")]
    public void QemuDevice_WithAnSgDriver_IsRefused(string device, string driver)
    {
        var errors = new GuestBenchOptions { Devices = GuestBenchDevices.Select(device), Drivers = GuestBenchDrivers.Select(driver) }.Validate(null);

        Assert.Contains(errors, error => error.StartsWith("--device qemu supports only --driver stock", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("qemu", "stock")]
    [InlineData("ballast", "all")]
    [InlineData("both", "stock")]
    [InlineData("both", "all")]
    public void SupportedCombinations_AreValid(string device, string driver) =>
        Assert.Empty(new GuestBenchOptions { Devices = GuestBenchDevices.Select(device), Drivers = GuestBenchDrivers.Select(driver) }.Validate(null));

    [Fact]
    public void Table_HasADriverColumn_AndSgRatiosAgainstStock()
    {
        var report = new GuestBenchReport(2L << 30, 1536L << 20, 1600L << 20,
        [
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Stock, 1200, 460, 1737000000, 127000000, 1200),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Sg, 420, 220, 1737000000, 127000000, 430),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.SgHighOrder, 180, 210, 1737000000, 127000000, 400),
        ]);

        var text = GuestBenchTableWriter.Format(report);

        Assert.Contains("  1  ballast   sg-highorder  ", text, StringComparison.Ordinal);
        Assert.Contains("ballast sg / ballast stock: inflate 0.35x", text, StringComparison.Ordinal);
        Assert.Contains("ballast sg-highorder / ballast stock: inflate 0.15x", text, StringComparison.Ordinal);
    }
}
