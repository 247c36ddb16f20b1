using System.Text.RegularExpressions;
using Ballast.GuestBench;
using Ballast.Cli.Output;

namespace Ballast.Cli.Tests;

/// <summary><c>ballast guest-bench</c>'s JSON, table, medians and option checks (no guest needed).</summary>
public sealed class GuestBenchReportTests
{
    private static readonly GuestBenchReport s_report = new(2L << 30, 1536L << 20, 1600L << 20,
    [
        new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, 2400.123, 640.5, 1737000000, 127000000, 2400.123),
        new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Stock, 1000.006, 500, 1737000000, 127000000, 1000.006),
        new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, 2600, 700, 1737000000, 128000000, 2600),
        new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Stock, 1100, 520, 1737000000, 126000000, 1100),
        new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, 2500, 600, 1737000000, 129000000, 2500),
        new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.Stock, 900, 510, 1737000000, 125000000, 900),
    ]);

    [Fact]
    public void Json_HasTheDocumentedShape_MsRoundedTo001()
    {
        var json = GuestBenchJsonWriter.Serialize(s_report with { Runs = s_report.Runs.Take(2).ToList() });

        Assert.Equal("""{"guest_mem_bytes":2147483648,"inflate_bytes":1610612736,"dirty_bytes":1677721600,"runs":["""
            + """{"device":"qemu","driver":"stock","inflate_ms":2400.12,"deflate_ms":640.5,"host_bytes_before":1737000000,"host_bytes_after":127000000,"release_ms":2400.12},"""
            + """{"device":"ballast","driver":"stock","inflate_ms":1000.01,"deflate_ms":500,"host_bytes_before":1737000000,"host_bytes_after":127000000,"release_ms":1000.01}]}""",
            json);
    }

    [Fact]
    public void Json_RoundTrips()
    {
        var back = GuestBenchJsonWriter.Deserialize(GuestBenchJsonWriter.Serialize(s_report));

        Assert.Equal(6, back.Runs.Count);
        Assert.Equal(1600L << 20, back.DirtyBytes);
        Assert.Equal(GuestBenchDevice.Ballast, back.Runs[5].Device);
    }

    [Fact]
    public void Median_TakesEachFieldOnItsOwn()
    {
        var median = GuestBenchTableWriter.Median([.. s_report.Runs.Where(run => run.Device == GuestBenchDevice.Ballast)]);

        Assert.Equal(1000.006, median.InflateMs);
        Assert.Equal(510, median.DeflateMs);
        Assert.Equal(125000000 + 1000000, median.HostBytesAfter);
    }

    [Fact]
    public void Table_ListsEveryRun_ThenMediansPerDevice_AndTheRatio()
    {
        var text = GuestBenchTableWriter.Format(s_report);

        Assert.Contains("3 runs per device", text, StringComparison.Ordinal);
        Assert.Contains("median of 3", text, StringComparison.Ordinal);
        Assert.Equal(6, text.Split('\n').Count(line => Regex.IsMatch(line, @"^\s+[123]  (qemu|ballast) ")));
        Assert.Contains("ballast / qemu: inflate 0.40x, deflate 0.80x (medians)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreValid() => Assert.Empty(new GuestBenchOptions().Validate(availableHostBytes: 20L << 30));

    [Theory]
    [InlineData(2048, 2048, 1600, 1, "--inflate")]
    [InlineData(2048, 1536, 2048, 1, "--dirty")]
    [InlineData(100, 50, 0, 1, "--guest-mem")]
    [InlineData(2048, 1536, 1600, 0, "--repeat")]
    public void Options_Invalid_SayWhich(long guestMib, long inflateMib, long dirtyMib, int repeat, string option)
    {
        var errors = new GuestBenchOptions { GuestMemBytes = guestMib << 20, InflateBytes = inflateMib << 20, DirtyBytes = dirtyMib << 20, Repeat = repeat }
            .Validate(availableHostBytes: null);

        Assert.Contains(errors, error => error.StartsWith(option, StringComparison.Ordinal));
    }

    [Fact]
    public void Options_MoreThanTheHostHas_AreRefused() =>
        Assert.Contains(new GuestBenchOptions().Validate(availableHostBytes: 1L << 30), error => error.Contains("available", StringComparison.Ordinal));

    [Theory]
    [InlineData("both", new[] { "qemu", "ballast" })]
    [InlineData("qemu", new[] { "qemu" })]
    [InlineData("ballast", new[] { "ballast" })]
    public void Devices_Select(string value, string[] devices) => Assert.Equal(devices, GuestBenchDevices.Select(value).Select(GuestBenchDevices.Name));
}
