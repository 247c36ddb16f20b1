using Ballast.GuestBench;
using Ballast.Cli.Output;

namespace Ballast.Cli.Tests;

/// <summary>
/// The name tables of <see cref="GuestBenchDevice"/> and <see cref="GuestBenchDriver"/>: the words on the command line,
/// in the table and in the JSON, parsed and formatted both ways.
/// </summary>
public sealed class GuestBenchNamesTests
{
    [Fact]
    public void Devices_Names_AndCommandLineValues()
    {
        Assert.Equal(["qemu", "ballast"], GuestBenchDevices.Both.Select(GuestBenchDevices.Name));
        Assert.Equal(["ballast", "qemu", "both"], GuestBenchDevices.CommandLineValues);
        Assert.Equal(Enum.GetValues<GuestBenchDevice>().Order(), GuestBenchDevices.Both.Order());
    }

    [Fact]
    public void Drivers_Names_AndCommandLineValues()
    {
        Assert.Equal(["stock", "sg", "sg-highorder"], GuestBenchDrivers.All.Select(GuestBenchDrivers.Name));
        Assert.Equal(["stock", "sg", "sg-highorder", "all"], GuestBenchDrivers.CommandLineValues);
        Assert.Equal(Enum.GetValues<GuestBenchDriver>(), GuestBenchDrivers.All);
    }

    [Theory]
    [InlineData("qemu", GuestBenchDevice.Qemu)]
    [InlineData("ballast", GuestBenchDevice.Ballast)]
    public void Device_ParsesAndFormats(string name, GuestBenchDevice device)
    {
        Assert.True(GuestBenchDevices.TryParse(name, out var parsed));
        Assert.Equal(device, parsed);
        Assert.Equal(name, GuestBenchDevices.Name(device));
    }

    [Theory]
    [InlineData("stock", GuestBenchDriver.Stock)]
    [InlineData("sg", GuestBenchDriver.Sg)]
    [InlineData("sg-highorder", GuestBenchDriver.SgHighOrder)]
    public void Driver_ParsesAndFormats(string name, GuestBenchDriver driver)
    {
        Assert.True(GuestBenchDrivers.TryParse(name, out var parsed));
        Assert.Equal(driver, parsed);
        Assert.Equal(name, GuestBenchDrivers.Name(driver));
    }

    [Theory]
    [InlineData("both")]
    [InlineData("Qemu")]
    [InlineData("QEMU")]
    [InlineData("vhost-user")]
    [InlineData("")]
    [InlineData(null)]
    public void Device_TryParse_RefusesWhatNamesNoOneDevice(string? name) => Assert.False(GuestBenchDevices.TryParse(name, out _));

    [Theory]
    [InlineData("all")]
    [InlineData("SgHighOrder")]
    [InlineData("sg_highorder")]
    [InlineData("virtio_balloon")]
    [InlineData("")]
    [InlineData(null)]
    public void Driver_TryParse_RefusesWhatNamesNoOneDriver(string? name) => Assert.False(GuestBenchDrivers.TryParse(name, out _));

    [Fact]
    public void Select_UnknownValues_AreArgumentErrorsListingTheValues()
    {
        var device = Assert.Throws<ArgumentException>(() => GuestBenchDevices.Select("Qemu"));
        Assert.Contains("ballast, qemu, both", device.Message, StringComparison.Ordinal);
        var driver = Assert.Throws<ArgumentException>(() => GuestBenchDrivers.Select("sg-HighOrder"));
        Assert.Contains("stock, sg, sg-highorder, all", driver.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_OfAnUndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestBenchDevices.Name((GuestBenchDevice)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestBenchDrivers.Name((GuestBenchDriver)42));
    }

    [Fact]
    public void Json_WritesAndReadsEveryDeviceAndDriver_ByItsName()
    {
        var runs = (from device in GuestBenchDevices.Both
                    from driver in GuestBenchDrivers.All
                    select new GuestBenchRun(device, driver, 1, 2, 3, 4, 5)).ToList();
        var json = GuestBenchJsonWriter.Serialize(new GuestBenchReport(1, 2, 3, runs));

        foreach (var run in runs)
        {
            Assert.Contains($"{{\"device\":\"{GuestBenchDevices.Name(run.Device)}\",\"driver\":\"{GuestBenchDrivers.Name(run.Driver)}\",",
                json, StringComparison.Ordinal);
        }
        Assert.Equal(runs, GuestBenchJsonWriter.Deserialize(json).Runs);
    }

    [Fact]
    public void Options_Default_IsBothDevices_QemuFirst_WithTheStockDriver()
    {
        var options = new GuestBenchOptions();

        Assert.Equal([GuestBenchDevice.Qemu, GuestBenchDevice.Ballast], options.Devices);
        Assert.Equal([GuestBenchDriver.Stock], options.Drivers);
    }

    [Fact]
    public void Options_QemuWithSgDrivers_NamesThemAsOnTheCommandLine()
    {
        var errors = new GuestBenchOptions { Devices = GuestBenchDevices.Select("qemu"), Drivers = GuestBenchDrivers.Select("all") }.Validate(null);

        Assert.Contains("--device qemu supports only --driver stock (QEMU's balloon has no SG); sg, sg-highorder needs --device ballast", errors);
    }

    [Fact]
    public void Table_NamesDevicesAndDrivers_AsOnTheCommandLine()
    {
        var report = new GuestBenchReport(2L << 30, 1536L << 20, 1600L << 20,
        [
            new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, 2400.123, 640.5, 1737000000, 127000000, 2400.123),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Stock, 1000.006, 500, 1737000000, 127000000, 1000.006),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Sg, 420, 220, 1737000000, 127000000, 430),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.SgHighOrder, 180, 210, 1737000000, 127000000, 400),
            new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, 2600, 700, 1737000000, 128000000, 2600),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Stock, 1100, 520, 1737000000, 126000000, 1100),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Sg, 400, 230, 1737000000, 125000000, 410),
            new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.SgHighOrder, 170, 200, 1737000000, 124000000, 390),
        ]);

        // The text the string-typed devices and drivers gave, byte for byte.
        Assert.Equal("""
        ballast guest-bench: guest 2 GiB, inflate 1536 MiB, dirty 1600 MiB, 2 runs per device and driver

        run  device    driver        backing  inflate ms  release ms  deflate ms  host before MiB  host after MiB  released %  huge pages free
          1  qemu      stock         4k           2400.1      2400.1       640.5           1656.5           121.1       100.0                -
          1  ballast   stock         4k           1000.0      1000.0       500.0           1656.5           121.1       100.0                -
          1  ballast   sg            4k            420.0       430.0       220.0           1656.5           121.1       100.0                -
          1  ballast   sg-highorder  4k            180.0       400.0       210.0           1656.5           121.1       100.0                -
          2  qemu      stock         4k           2600.0      2600.0       700.0           1656.5           122.1        99.9                -
          2  ballast   stock         4k           1100.0      1100.0       520.0           1656.5           120.2       100.0                -
          2  ballast   sg            4k            400.0       410.0       230.0           1656.5           119.2       100.1                -
          2  ballast   sg-highorder  4k            170.0       390.0       200.0           1656.5           118.3       100.1                -

        median of 2                         qemu               ballast            ballast sg  ballast sg-highorder
        inflate ms                        2500.1                1050.0                 410.0                 175.0
        release ms                        2500.1                1050.0                 420.0                 395.0
        deflate ms                         670.3                 510.0                 225.0                 205.0
        host before MiB                   1656.5                1656.5                1656.5                1656.5
        host after MiB                     121.6                 120.6                 120.2                 119.7
        released %                          99.9                 100.0                 100.0                 100.1

        ballast / qemu: inflate 0.42x, deflate 0.76x (medians)
        ballast sg / ballast stock: inflate 0.39x, deflate 0.44x (medians)
        ballast sg-highorder / ballast stock: inflate 0.17x, deflate 0.40x (medians)

        """, GuestBenchTableWriter.Format(report));
    }
}
