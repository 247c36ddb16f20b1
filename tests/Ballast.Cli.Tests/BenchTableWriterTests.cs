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

    [Fact]
    public void Format_OnTwoBackings_GivesEachAHeadingATableAndAFloorThenComparesThemWith4K()
    {
        var table = BenchTableWriter.Format(SampleReports.TwoBackings(), repeat: 1);
        var lines = table.Split('\n');

        var fourK = Array.IndexOf(lines, "backing 4k: 4 KiB host pages");
        var hugetlb = Array.IndexOf(lines,
            "backing hugetlb: 2 MiB host pages, release granularity host-page, huge pages seen in HugePages_Free (/proc/meminfo)");
        Assert.True(fourK > 0 && hugetlb > fourK, table);
        Assert.Equal(2, lines.Count(line => line.Contains("pfn-per-page", StringComparison.Ordinal) && line.TrimEnd().EndsWith("sg", StringComparison.Ordinal)));
        var floors = lines.Where(line => line.StartsWith("floor ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, floors.Count);
        Assert.Contains(" 380.5 ", floors[0], StringComparison.Ordinal);
        Assert.Contains(" 12.3 ", floors[1], StringComparison.Ordinal);
        // The huge-page evidence only under the huge-page backing.
        var huge = lines.Select((line, i) => (line, i)).Where(x => x.line.StartsWith("huge pages before ", StringComparison.Ordinal)).ToList();
        Assert.True(Assert.Single(huge).i > hugetlb);
        Assert.Contains(" 8192.0 ", huge[0].line, StringComparison.Ordinal);
        Assert.Contains(" 1024.0", lines.Single(line => line.StartsWith("huge pages after ", StringComparison.Ordinal)), StringComparison.Ordinal);
        // vs floor uses each backing's own floor: hugetlb sg = 1184.45 * 0.05 / 12.25.
        Assert.EndsWith(" 4.8x", lines.Where(line => line.StartsWith("vs floor ", StringComparison.Ordinal)).Last(), StringComparison.Ordinal);
        Assert.Equal("hugetlb vs 4k: total pfn-per-page 0.050x, pfn 0.050x, sg 0.050x; release pfn-per-page 0.050x, pfn 0.050x, sg 0.050x", lines[^2]);
    }

    [Fact]
    public void Format_ShowsReleaseTimePerGiB() =>
        // sg: 380.7 ms for 7 GiB.
        Assert.EndsWith(" 54.4", BenchTableWriter.Format(SampleReports.AllModes(), 1).Split('\n')
            .Single(line => line.StartsWith("release per GiB ms ", StringComparison.Ordinal)), StringComparison.Ordinal);

    /// <summary>The row labelled exactly <paramref name="label"/> ("release" is not "release calls").</summary>
    private static string Row(string table, string label) =>
        table.Split('\n').Single(line => line.StartsWith(label + "  ", StringComparison.Ordinal));
}
