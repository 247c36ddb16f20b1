using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.Simulation.Experiment;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests;

public class BenchCommandJsonTests
{
    // The fields every earlier bench printed come first, in their order; huge-page guest RAM (#14) added the next three,
    // schema 2 (#15) the last six.
    private static readonly string[] s_topFields =
        ["guest_mem_bytes", "inflate_bytes", "profile", "clean", "zero_on_alloc", "floor_ms", "runs",
         "release_granularity", "backings", "warnings",
         "schema_version", "version", "transport", "repeat", "all_runs", "spread"];

    private static readonly string[] s_runFields =
        ["mode", "total_ms", "alloc_ms", "send_ms", "translate_ms", "release_ms", "deflate_ms", "pages", "buffers",
         "kicks", "runs", "release_calls", "host_bytes_before", "host_bytes_after", "integrity",
         "backing", "release_granularity", "host_page_size", "huge_page_bytes_before", "huge_page_bytes_after",
         "reports", "reported_entries", "report_passes", "report_delay_ms"];

    [Fact]
    public async Task Json_PrintsExactlyOneObjectWithTheSpecifiedFields()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.StdErr);
        // Exactly one JSON value on stdout: the reader must reach the end after it.
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(result.StdOut));
        Assert.True(JsonDocument.TryParseValue(ref reader, out var parsed));
        Assert.False(reader.Read());
        using var doc = parsed;

        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(s_topFields, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(8L << 30, root.GetProperty("guest_mem_bytes").GetInt64());
        Assert.Equal(7L << 30, root.GetProperty("inflate_bytes").GetInt64());
        Assert.Equal("idle", root.GetProperty("profile").GetString());
        Assert.False(root.GetProperty("clean").GetBoolean());
        Assert.False(root.GetProperty("zero_on_alloc").GetBoolean());
        Assert.Equal(50.25, root.GetProperty("floor_ms").GetDouble());

        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["pfn-per-page", "pfn", "sg"], runs.Select(run => run.GetProperty("mode").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal(s_runFields, run.EnumerateObject().Select(p => p.Name));
            foreach (var ms in s_runFields.Where(f => f.EndsWith("_ms", StringComparison.Ordinal)))
                Assert.Equal(JsonValueKind.Number, run.GetProperty(ms).ValueKind);
            foreach (var count in new[] { "pages", "buffers", "kicks", "runs", "release_calls", "host_bytes_before", "host_bytes_after" })
                Assert.True(run.GetProperty(count).TryGetInt64(out _), count);
            Assert.Equal("ok", run.GetProperty("integrity").GetString());
        }

        Assert.Equal((7L << 30) / 4096, runs[2].GetProperty("pages").GetInt64());
    }

    [Fact]
    public async Task Json_PassesOptionsToTheEngineAndEchoesThem()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine,
            "bench", "--json", "--guest-mem", "4GiB", "--inflate", "1792M", "--mode", "sg", "--profile", "fragmented", "--clean", "--zero-on-alloc");

        Assert.Equal(0, result.ExitCode);
        var options = Assert.Single(engine.Calls);
        Assert.Equal(4L << 30, options.GuestMemBytes);
        Assert.Equal(1792L << 20, options.InflateBytes);
        Assert.Equal([BenchMode.Sg], options.Modes);
        Assert.Equal(BenchProfile.Fragmented, options.Profile);
        Assert.True(options.Clean);
        Assert.True(options.ZeroOnAlloc);
        Assert.Equal(1, options.Repeat);
        Assert.True(engine.Disposed);

        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal(4L << 30, root.GetProperty("guest_mem_bytes").GetInt64());
        Assert.Equal(1792L << 20, root.GetProperty("inflate_bytes").GetInt64());
        Assert.Equal("fragmented", root.GetProperty("profile").GetString());
        Assert.True(root.GetProperty("clean").GetBoolean());
        Assert.True(root.GetProperty("zero_on_alloc").GetBoolean());
        Assert.Equal("sg", Assert.Single(root.GetProperty("runs").EnumerateArray()).GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Json_WithReporting_AddsAReportingRunAfterTheModes()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--json", "--mode", "sg", "--reporting", "--inflate", "1G");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([BenchMode.Sg, BenchMode.Reporting], Assert.Single(engine.Calls).Modes);
        using var doc = JsonDocument.Parse(result.StdOut);
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["sg", "reporting"], runs.Select(run => run.GetProperty("mode").GetString()));
        Assert.All(runs, run => Assert.Equal(s_runFields, run.EnumerateObject().Select(p => p.Name)));
        var expected = SampleRuns.For(BenchMode.Reporting, 1L << 30, 8L << 30);
        Assert.Equal(expected.Reports, runs[1].GetProperty("reports").GetInt64());
        Assert.Equal(expected.ReportedEntries, runs[1].GetProperty("reported_entries").GetInt64());
        Assert.Equal(expected.ReportPasses, runs[1].GetProperty("report_passes").GetInt64());
        Assert.Equal(expected.ReportDelayMs, runs[1].GetProperty("report_delay_ms").GetDouble());
        foreach (var field in new[] { "reports", "reported_entries", "report_passes" })
            Assert.Equal(0, runs[0].GetProperty(field).GetInt64());
        Assert.Equal(0, runs[0].GetProperty("report_delay_ms").GetDouble());
    }

    [Fact]
    public async Task Json_WithoutReporting_RunsNoReportingRun()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain(BenchMode.Reporting, Assert.Single(engine.Calls).Modes);
    }

    [Fact]
    public async Task Json_WithRepeat_CarriesOneMedianRunPerMode()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--json", "--repeat", "3");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, Assert.Single(engine.Calls).Repeat);
        using var doc = JsonDocument.Parse(result.StdOut);
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(3, runs.Count);
        // The fake scales repeat i by (1 + i): 1x, 2x, 3x; the median is the 2x run.
        var expected = SampleRuns.For(BenchMode.PfnPerPage, 7L << 30, 8L << 30, scale: 2);
        Assert.Equal(Math.Round(expected.AllocMs, 2), runs[0].GetProperty("alloc_ms").GetDouble());
        Assert.Equal(Math.Round(expected.TotalMs, 2), runs[0].GetProperty("total_ms").GetDouble());
    }

    [Fact]
    public async Task Json_PassesBackingsAndGranularityToTheEngineAndEchoesThem()
    {
        using var engine = new FakeBenchEngine
        {
            OnRun = (options, _, _) => BenchReport.For(options,
                [.. options.Backings.Select(backing => new BenchBackingSummary
                {
                    Backing = backing,
                    HostPageSize = backing == BenchBacking.Pages4K ? 4096 : 2 << 20,
                    HugePageSource = backing == BenchBacking.Hugetlb ? "HugePages_Free" : "ShmemHugePages",
                    FloorMs = backing == BenchBacking.Pages4K ? 380.456 : 3.5,
                })],
                [.. options.Backings.SelectMany(backing => options.Modes.Select(mode =>
                    SampleRuns.For(mode, options.InflateBytes, options.GuestMemBytes) with
                    {
                        Backing = backing,
                        ReleaseGranularity = options.Granularity,
                        HostPageSize = backing == BenchBacking.Pages4K ? 4096 : 2 << 20,
                        HugePageBytesBefore = backing == BenchBacking.Pages4K ? 0 : options.GuestMemBytes,
                        HugePageBytesAfter = backing == BenchBacking.Pages4K ? 0 : options.GuestMemBytes - options.InflateBytes,
                    }))],
                ["thp: just so"]),
        };
        var result = await CliHarness.RunAsync(engine, "bench", "--json", "--backing", "4k,hugetlb", "--release-granularity", "4k", "--mode", "sg");

        Assert.Equal(0, result.ExitCode);
        var options = Assert.Single(engine.Calls);
        Assert.Equal([BenchBacking.Pages4K, BenchBacking.Hugetlb], options.Backings);
        Assert.Equal(ReleaseGranularity.Page4K, options.Granularity);
        Assert.Equal("ballast bench: warning: thp: just so", result.StdErr.TrimEnd());

        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal(s_topFields, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("4k", root.GetProperty("release_granularity").GetString());
        Assert.Equal(380.46, root.GetProperty("floor_ms").GetDouble());
        var backings = root.GetProperty("backings").EnumerateArray().ToList();
        Assert.Equal(["4k", "hugetlb"], backings.Select(b => b.GetProperty("backing").GetString()));
        Assert.Equal([4096L, 2L << 20], backings.Select(b => b.GetProperty("host_page_size").GetInt64()));
        Assert.Equal([380.46, 3.5], backings.Select(b => b.GetProperty("floor_ms").GetDouble()));
        Assert.Equal("HugePages_Free", backings[1].GetProperty("huge_page_source").GetString());
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["4k", "hugetlb"], runs.Select(run => run.GetProperty("backing").GetString()));
        Assert.All(runs, run => Assert.Equal("4k", run.GetProperty("release_granularity").GetString()));
        Assert.Equal(8L << 30, runs[1].GetProperty("huge_page_bytes_before").GetInt64());
        Assert.Equal(1L << 30, runs[1].GetProperty("huge_page_bytes_after").GetInt64());
        Assert.Equal(["thp: just so"], root.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
    }

    [Fact]
    public async Task Json_ByDefault_Runs4KPagesReleasedAHostPageAtATime()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--json");

        Assert.Equal(0, result.ExitCode);
        var options = Assert.Single(engine.Calls);
        Assert.Equal([BenchBacking.Pages4K], options.Backings);
        Assert.Equal(ReleaseGranularity.HostPage, options.Granularity);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.All(doc.RootElement.GetProperty("runs").EnumerateArray(), run => Assert.Equal("4k", run.GetProperty("backing").GetString()));
        Assert.Equal("host-page", doc.RootElement.GetProperty("release_granularity").GetString());
    }

    [Fact]
    public async Task Json_WithRepeat_CarriesEveryRunAndTheirSpread()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--json", "--repeat", "3", "--transport", "vhost-user", "--mode", "sg");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("schema_version").GetInt32());
        Assert.Equal("vhost-user", root.GetProperty("transport").GetString());
        Assert.Equal(3, root.GetProperty("repeat").GetInt32());
        Assert.Equal(Output.ProgramVersion.Current, root.GetProperty("version").GetString());

        var all = root.GetProperty("all_runs").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], all.Select(run => run.GetProperty("repeat").GetInt32()));
        Assert.All(all, run => Assert.Equal(["repeat", .. s_runFields], run.EnumerateObject().Select(p => p.Name)));
        // The fake scales repeat i by (1 + i).
        var totals = Enumerable.Range(1, 3).Select(scale => Math.Round(SampleRuns.For(BenchMode.Sg, 7L << 30, 8L << 30, scale: scale).TotalMs, 2)).ToList();
        Assert.Equal(totals, all.Select(run => run.GetProperty("total_ms").GetDouble()));

        var spread = Assert.Single(root.GetProperty("spread").EnumerateArray());
        Assert.Equal("sg", spread.GetProperty("mode").GetString());
        Assert.Equal(3, spread.GetProperty("count").GetInt32());
        var total = spread.GetProperty("total_ms");
        Assert.Equal(totals[0], total.GetProperty("min").GetDouble(), 2);
        Assert.Equal(totals[1], total.GetProperty("median").GetDouble(), 2);
        Assert.Equal(totals[2], total.GetProperty("max").GetDouble(), 2);
        Assert.True(total.GetProperty("stdev").GetDouble() > 0);
    }
}
