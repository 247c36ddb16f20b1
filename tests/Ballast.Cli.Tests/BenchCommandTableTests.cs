using Ballast.Cli.Tests.Infrastructure;
using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Cli.Tests;

public class BenchCommandTableTests
{
    [Fact]
    public async Task Table_IsTheDefaultOutput()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.StdErr);
        Assert.StartsWith("ballast bench: guest 8 GiB, inflate 7 GiB", result.StdOut, StringComparison.Ordinal);
        var lines = result.StdOut.Split('\n');
        foreach (var stage in new[] { "alloc", "send", "translate", "release", "total", "deflate", "floor" })
            Assert.Contains(lines, line => line.StartsWith(stage + " ", StringComparison.Ordinal) && line.Contains("ms", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("pfn-per-page", StringComparison.Ordinal) && line.TrimEnd().EndsWith("sg", StringComparison.Ordinal));
        Assert.Contains('%', result.StdOut);
        Assert.DoesNotContain('{', result.StdOut);
    }

    [Fact]
    public async Task Table_WithRepeat_SaysMedianInTheHeader()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--repeat", "5", "--mode", "pfn");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("median of 5 runs per mode", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("pfn-per-page", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_WithProgressOff_WritesNoCarriageReturns()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench");
        Assert.DoesNotContain('\r', result.StdOut + result.StdErr);
    }

    [Fact]
    public async Task Table_WithReporting_ShowsTheReportsAndComparesWithSg()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--mode", "sg", "--reporting");

        Assert.Equal(0, result.ExitCode);
        var lines = result.StdOut.Split('\n');
        Assert.Contains(lines, line => line.Contains(" sg ", StringComparison.Ordinal) && line.TrimEnd().EndsWith(" reporting", StringComparison.Ordinal));
        foreach (var row in new[] { "reclaimed", "reports", "report passes", "report delay" })
            Assert.Contains(lines, line => line.StartsWith(row + " ", StringComparison.Ordinal));
        var sample = SampleRuns.For(BenchMode.Reporting, 7L << 30, 8L << 30);
        var comparison = Assert.Single(lines, line => line.StartsWith("reporting: ", StringComparison.Ordinal));
        Assert.Contains($"before each of {sample.ReportPasses} passes", comparison, StringComparison.Ordinal);
        Assert.Contains("vs sg's inflate of 7168.0 MiB", comparison, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_WithoutReporting_HasNoReportRows()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench");

        Assert.DoesNotContain("report", result.StdOut, StringComparison.Ordinal);
    }
}
