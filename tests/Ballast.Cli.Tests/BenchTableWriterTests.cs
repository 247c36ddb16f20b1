using Ballast.Simulation.Experiment;
using Ballast.Cli.Output;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests;

public class BenchTableWriterTests
{
    [Fact]
    public void Format_HasHeaderModesStagesAndFloor()
    {
        var table = BenchTableWriter.Format(SampleReports.AllModes(), repeat: 1);
        var lines = table.Split('\n');

        Assert.StartsWith("ballast bench: guest 8 GiB, inflate 7 GiB (1835008 pages), profile idle, clean no, zero-on-alloc no", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("median", table, StringComparison.Ordinal);
        var header = lines.Single(line => line.Contains("pfn-per-page", StringComparison.Ordinal));
        Assert.True(header.IndexOf("pfn-per-page", StringComparison.Ordinal) < header.IndexOf(" pfn ", StringComparison.Ordinal));
        Assert.EndsWith("sg", header, StringComparison.Ordinal);
        foreach (var label in new[] { "alloc", "send", "translate", "release", "total", "deflate", "pages", "buffers", "kicks", "runs", "release calls", "host before", "host after", "integrity", "floor" })
            Assert.Contains(lines, line => line.StartsWith(label + "  ", StringComparison.Ordinal));
    }

    [Fact]
    public void Format_ShowsStageMillisecondsAndPercentOfTotal()
    {
        var table = BenchTableWriter.Format(SampleReports.AllModes(), repeat: 1);
        var release = Row(table, "release");
        // pfn-per-page: 5120.4 of 9633.95 ms = 53.1 %; sg: 380.7 of 1184.45 = 32.1 %.
        Assert.Matches(@" 5120\.4 +53\.1% ", release);
        Assert.Matches(@" 380\.7 +32\.1%$", release);
        Assert.Contains("100.0%", Row(table, "total"), StringComparison.Ordinal);
        Assert.Contains("25.3x", Row(table, "vs floor"), StringComparison.Ordinal);
        Assert.Contains("8192.0", Row(table, "host before"), StringComparison.Ordinal);
        Assert.Contains("1024.0", Row(table, "host after"), StringComparison.Ordinal);
        Assert.Contains("380.5", Row(table, "floor"), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_AlignsColumns()
    {
        var table = BenchTableWriter.Format(SampleReports.AllModes(), repeat: 1);
        var header = table.Split('\n').Single(line => line.Contains("pfn-per-page", StringComparison.Ordinal));
        // Rows with a percentage end where the right-aligned header ends...
        foreach (var label in new[] { "alloc", "send", "translate", "release", "total" })
            Assert.Equal(header.Length, Row(table, label).Length);
        // ...and rows without one end where the ms values end, before " 100.0%".
        foreach (var label in new[] { "deflate", "pages", "kicks", "release calls", "host after", "integrity" })
            Assert.Equal(header.Length - " 100.0%".Length, Row(table, label).Length);
        // The decimal points of one column line up in every ms row, the floor's with the first column's.
        Assert.Single(new[] { "alloc", "send", "translate", "release", "total", "deflate", "floor" }
            .Select(label => Row(table, label).IndexOf('.', StringComparison.Ordinal))
            .Distinct());
    }

    [Fact]
    public void Format_SaysMedianWhenRepeated()
    {
        var table = BenchTableWriter.Format(SampleReports.AllModes(), repeat: 5);
        Assert.Contains("median of 5 runs per mode", table.Split('\n')[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Format_SurvivesZeroTotalsAndFloor()
    {
        var report = SampleReports.AllModes(floorMs: 0);
        report = report with { Runs = [report.Runs[0] with { TotalMs = 0 }] };
        var table = BenchTableWriter.Format(report, repeat: 1);
        Assert.Contains("-", Row(table, "alloc"), StringComparison.Ordinal);
        Assert.EndsWith("-", Row(table, "vs floor"), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_ShowsIntegrityFailures()
    {
        var report = SampleReports.AllModes();
        report = report with { Runs = [.. report.Runs.Select(run => run.Mode == BenchMode.Pfn ? run with { Integrity = "pfn 7 not released" } : run)] };
        Assert.Contains("pfn 7 not released", Row(BenchTableWriter.Format(report, 1), "integrity"), StringComparison.Ordinal);
    }

    /// <summary>The row labelled exactly <paramref name="label"/> ("release" is not "release calls").</summary>
    private static string Row(string table, string label) =>
        table.Split('\n').Single(line => line.StartsWith(label + "  ", StringComparison.Ordinal));
}
