using System.Text.RegularExpressions;
using Ballast.GuestBench;
using Ballast.GuestLab;
using Ballast.Virtio.Memory;
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
            + """{"device":"qemu","driver":"stock","inflate_ms":2400.12,"deflate_ms":640.5,"host_bytes_before":1737000000,"host_bytes_after":127000000,"release_ms":2400.12,"""
            + "\"backing\":\"4k\",\"ram_block_bytes\":0,\"host_pages_before\":null,\"host_pages_after\":null,\"module_inflate\":null,\"module_deflate\":null},"
            + """{"device":"ballast","driver":"stock","inflate_ms":1000.01,"deflate_ms":500,"host_bytes_before":1737000000,"host_bytes_after":127000000,"release_ms":1000.01,"""
            + "\"backing\":\"4k\",\"ram_block_bytes\":0,\"host_pages_before\":null,\"host_pages_after\":null,\"module_inflate\":null,\"module_deflate\":null}],"
            + "\"release_granularity\":null}",
            json);
    }

    [Fact]
    public void Json_CarriesTheBacking_TheHugePageEvidence_AndTheModuleBreakdown()
    {
        var run = s_report.Runs[1] with
        {
            Backing = MemoryBacking.Hugetlb,
            RamBlockBytes = 2L << 20,
            HostPagesBefore = new HostPageCounters(234, 0, 1700L << 20, 0, 0),
            HostPagesAfter = new HostPageCounters(1002, 0, 164L << 20, 0, 0),
            ModuleInflate = new GuestModuleBreakdown(6, 393216, 9, 7, 7000, 300, 37000),
        };
        var json = GuestBenchJsonWriter.Serialize(s_report with { Runs = [run], ReleaseGranularity = "host-page" });

        Assert.Contains("\"backing\":\"hugetlb\",\"ram_block_bytes\":2097152,", json, StringComparison.Ordinal);
        Assert.Contains("\"host_pages_before\":{\"hugetlb_free_pages\":234,\"shmem_huge_bytes\":0,\"qemu_hugetlb_bytes\":1782579200,\"qemu_shmem_pmd_mapped_bytes\":0,\"qemu_file_pmd_mapped_bytes\":0}",
            json, StringComparison.Ordinal);
        Assert.Contains("\"module_inflate\":{\"batches\":6,\"pages\":393216,\"entries\":9,\"kicks\":7,\"prep_us\":7000,\"host_us\":300,\"post_us\":37000},\"module_deflate\":null",
            json, StringComparison.Ordinal);
        Assert.EndsWith("\"release_granularity\":\"host-page\"}", json, StringComparison.Ordinal);
        var back = GuestBenchJsonWriter.Deserialize(json);
        Assert.Equal(MemoryBacking.Hugetlb, back.Runs[0].Backing);
        Assert.Equal(run.HostPagesAfter, back.Runs[0].HostPagesAfter);
        Assert.Equal(run.ModuleInflate, back.Runs[0].ModuleInflate);
    }

    [Fact]
    public void Table_WithHugePageRuns_NamesTheBacking_AndComparesWith4K()
    {
        var on4K = new GuestBenchRun(GuestBenchDevice.Ballast, GuestBenchDriver.SgHighOrder, 90, 200, 1737000000, 127000000, 350);
        var hugetlb = on4K with
        {
            ReleaseMs = 35,
            InflateMs = 60,
            Backing = MemoryBacking.Hugetlb,
            HostPagesBefore = new HostPageCounters(234, 0, 0, 0, 0),
            HostPagesAfter = new HostPageCounters(1002, 0, 0, 0, 0),
        };
        var qemu = new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, 500, 300, 1737000000, 1737000000, 500) { Backing = MemoryBacking.Hugetlb };

        var text = GuestBenchTableWriter.Format(s_report with { Runs = [on4K, qemu, hugetlb] });

        Assert.Contains("  1  ballast   sg-highorder  hugetlb  ", text, StringComparison.Ordinal);
        Assert.Contains("234 -> 1002", text, StringComparison.Ordinal);
        Assert.Contains("hugetlb ballast sg-highorder", text, StringComparison.Ordinal);
        Assert.Contains("4k ballast sg-highorder", text, StringComparison.Ordinal);
        Assert.Contains("hugetlb / 4k, ballast sg-highorder: release 0.10x, inflate 0.67x (medians)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ModuleBreakdown_SumsTheVerboseBatchLines_OfOneDirection()
    {
        string[] serial =
        [
            "BALLAST ready t=1",
            "[   12.5] ballast_balloon virtio0: inflate pages=65536 blocks=128 span=65536 entries=1 kicks=2 runs=bitmap prep_us=1197 host_us=53188 post_us=7655 balloon=65536",
            "ballast_balloon virtio0: inflate pages=65536 blocks=128 span=65536 entries=3 kicks=1 runs=bitmap prep_us=1203 host_us=12 post_us=6200 balloon=131072",
            "ballast_balloon virtio0: deflate pages=65536 blocks=0 span=65536 entries=1 kicks=1 runs=bitmap prep_us=4733 host_us=1127 post_us=26702 balloon=65536",
        ];

        Assert.Equal(new GuestModuleBreakdown(2, 131072, 4, 3, 2400, 53200, 13855), GuestModuleBreakdown.Sum(serial, "inflate"));
        Assert.Equal(new GuestModuleBreakdown(1, 65536, 1, 1, 4733, 1127, 26702), GuestModuleBreakdown.Sum(serial, "deflate"));
        Assert.Null(GuestModuleBreakdown.Sum(["BALLAST ready t=1"], "inflate"));
    }

    [Fact]
    public void Options_BackingsAndGranularity()
    {
        Assert.Equal([MemoryBacking.Pages4K], new GuestBenchOptions().Backings);
        Assert.Empty(new GuestBenchOptions { ReleaseGranularity = "4k", Backings = GuestRamBackings.All }.Validate(null));
        Assert.Contains(new GuestBenchOptions { ReleaseGranularity = "2m" }.Validate(null), error => error.StartsWith("--release-granularity", StringComparison.Ordinal));
        Assert.Contains(new GuestBenchOptions { Backings = [] }.Validate(null), error => error.Contains("backing", StringComparison.Ordinal));
        var options = new GuestBenchOptions { DeferRelease = true, ReleaseGranularity = "4k" };
        Assert.Equal(["--defer-release", "--release-granularity", "4k", "--allow-unsealed-memory"], GuestBenchRunner.DaemonArguments(options, MemoryBacking.Thp));
        Assert.Empty(GuestBenchRunner.DaemonArguments(new GuestBenchOptions(), MemoryBacking.Hugetlb));
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
