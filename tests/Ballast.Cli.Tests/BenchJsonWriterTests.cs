using System.Text.Json;
using Ballast.Simulation.Experiment;
using Ballast.Cli.Output;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests;

public class BenchJsonWriterTests
{
    [Fact]
    public void Serialize_UsesSnakeCaseNamesInDeclaredOrder()
    {
        using var doc = JsonDocument.Parse(BenchJsonWriter.Serialize(SampleReports.AllModes()));
        // The earlier fields first and in their order; what huge-page guest RAM (#14) added after them.
        Assert.Equal(
            ["guest_mem_bytes", "inflate_bytes", "profile", "clean", "zero_on_alloc", "floor_ms", "runs",
             "release_granularity", "backings", "warnings",
             "schema_version", "version", "transport", "repeat", "all_runs", "spread"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["mode", "total_ms", "alloc_ms", "send_ms", "translate_ms", "release_ms", "deflate_ms", "pages", "buffers",
             "kicks", "runs", "release_calls", "host_bytes_before", "host_bytes_after", "integrity",
             "backing", "release_granularity", "host_page_size", "huge_page_bytes_before", "huge_page_bytes_after",
             "reports", "reported_entries", "report_passes", "report_delay_ms"],
            doc.RootElement.GetProperty("runs")[0].EnumerateObject().Select(p => p.Name));
        using var two = JsonDocument.Parse(BenchJsonWriter.Serialize(SampleReports.TwoBackings()));
        Assert.Equal(["backing", "host_page_size", "huge_page_source", "floor_ms"],
            two.RootElement.GetProperty("backings")[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Serialize_WritesEnumsAsTheirCommandLineNames()
    {
        var report = SampleReports.AllModes() with { Profile = BenchProfile.Fragmented };
        using var doc = JsonDocument.Parse(BenchJsonWriter.Serialize(report));
        Assert.Equal("fragmented", doc.RootElement.GetProperty("profile").GetString());
        Assert.Equal(
            ["pfn-per-page", "pfn", "sg"],
            doc.RootElement.GetProperty("runs").EnumerateArray().Select(run => run.GetProperty("mode").GetString()));
    }

    [Fact]
    public void Serialize_RoundsEachBackingsFloor()
    {
        var report = SampleReports.TwoBackings();
        report = report with { Backings = [.. report.Backings.Select(b => b with { FloorMs = b.FloorMs + 0.004449 })] };
        using var doc = JsonDocument.Parse(BenchJsonWriter.Serialize(report));
        Assert.Equal([380.5, 12.25], doc.RootElement.GetProperty("backings").EnumerateArray().Select(b => b.GetProperty("floor_ms").GetDouble()));
    }

    [Fact]
    public void Serialize_RoundsMillisecondsToHundredths()
    {
        var report = SampleReports.AllModes(floorMs: 1.23456);
        report = report with { Runs = [report.Runs[0] with { AllocMs = 812.4449, TotalMs = 1.005, DeflateMs = 2.0 / 3 }] };
        var json = BenchJsonWriter.Serialize(report);
        Assert.Contains("\"floor_ms\":1.23,", json, StringComparison.Ordinal);
        Assert.Contains("\"alloc_ms\":812.44,", json, StringComparison.Ordinal);
        Assert.Contains("\"deflate_ms\":0.67,", json, StringComparison.Ordinal);
        // Counts and sizes are not touched.
        Assert.Contains($"\"pages\":{(7L << 30) / 4096},", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_PrintsOneLine()
    {
        using var writer = new StringWriter();
        BenchJsonWriter.Write(SampleReports.AllModes(), writer);
        var text = writer.ToString();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text.TrimEnd('\n'));
    }

    [Fact]
    public void Serialize_Header_SaysSchemaVersionTransportRepeatAndVersion()
    {
        var header = new BenchJsonHeader(BenchTransport.VhostUser, 5, "9.8.7+abc");
        using var doc = JsonDocument.Parse(BenchJsonWriter.Serialize(SampleReports.AllModes(), header));
        var root = doc.RootElement;
        Assert.Equal(BenchJsonWriter.SchemaVersion, root.GetProperty("schema_version").GetInt32());
        Assert.Equal("vhost-user", root.GetProperty("transport").GetString());
        Assert.Equal(5, root.GetProperty("repeat").GetInt32());
        Assert.Equal("9.8.7+abc", root.GetProperty("version").GetString());
    }

    [Fact]
    public void Serialize_WithoutHeader_SaysInProcessAndTheRunsPerMode()
    {
        using var doc = JsonDocument.Parse(BenchJsonWriter.Serialize(SampleReports.AllModes()));
        Assert.Equal("in-process", doc.RootElement.GetProperty("transport").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("repeat").GetInt32());
    }

    [Fact]
    public void Serialize_TwoBackings_NumbersRepeatsWithinModeAndBacking()
    {
        var report = SampleReports.TwoBackings();
        report = report with { Runs = [.. report.Runs, .. report.Runs] };
        using var doc = JsonDocument.Parse(BenchJsonWriter.Serialize(report));
        var all = doc.RootElement.GetProperty("all_runs").EnumerateArray().ToList();
        Assert.Equal(12, all.Count);
        Assert.Equal([.. Enumerable.Repeat(1, 6), .. Enumerable.Repeat(2, 6)], all.Select(run => run.GetProperty("repeat").GetInt32()));
        // One median and one spread per mode and backing.
        Assert.Equal(6, doc.RootElement.GetProperty("runs").GetArrayLength());
        var spread = doc.RootElement.GetProperty("spread").EnumerateArray().ToList();
        Assert.Equal(6, spread.Count);
        Assert.Equal(["4k", "4k", "4k", "hugetlb", "hugetlb", "hugetlb"], spread.Select(s => s.GetProperty("backing").GetString()));
        Assert.All(spread, s => Assert.Equal(0, s.GetProperty("total_ms").GetProperty("stdev").GetDouble()));
    }
}
