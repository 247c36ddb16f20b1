using Ballast.Simulation.Experiment;
using Ballast.Cli.Output;

namespace Ballast.Cli.Tests;

public class TerminalProgressTests
{
    private const long MiB = 1L << 20;

    [Theory]
    [InlineData(BenchMode.Sg, BenchPhases.Inflate, "inflating sg… 1234 MiB / 7168 MiB")]
    [InlineData(BenchMode.PfnPerPage, BenchPhases.Deflate, "deflating pfn-per-page… 1234 MiB / 7168 MiB")]
    [InlineData(BenchMode.Pfn, BenchPhases.Restore, "restoring pfn… 1234 MiB / 7168 MiB")]
    [InlineData(BenchMode.Pfn, "populate", "populate pfn… 1234 MiB / 7168 MiB")]
    public void Describe_NamesPhaseModeAndMiB(BenchMode mode, string phase, string expected) =>
        Assert.Equal(expected, TerminalProgress.Describe(new BenchProgress(mode, phase, 1234 * MiB, 7168 * MiB)));

    [Fact]
    public void Report_RewritesOneLineAndDisposeErasesIt()
    {
        using var writer = new StringWriter();
        var progress = new TerminalProgress(writer, TimeSpan.Zero);
        progress.Report(new BenchProgress(BenchMode.PfnPerPage, BenchPhases.Inflate, 100 * MiB, 7168 * MiB));
        progress.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Inflate, 5 * MiB, 7168 * MiB));
        progress.Dispose();

        var text = writer.ToString();
        Assert.DoesNotContain('\n', text);
        var frames = text.Split('\r');
        Assert.Equal("inflating pfn-per-page… 100 MiB / 7168 MiB", frames[1]);
        // The shorter second line is padded over the first one.
        Assert.Equal(frames[1].Length, frames[2].Length);
        Assert.StartsWith("inflating sg… 5 MiB / 7168 MiB ", frames[2], StringComparison.Ordinal);
        Assert.Equal(string.Empty, frames[3].Trim());
        Assert.Equal(string.Empty, frames[^1]);
    }

    [Fact]
    public void Report_ThrottlesWithinAPhaseButNotAcrossPhases()
    {
        using var writer = new StringWriter();
        using var progress = new TerminalProgress(writer, TimeSpan.FromHours(1));
        for (var i = 1; i < 100; i++)
            progress.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Inflate, i * MiB, 100 * MiB));
        progress.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Inflate, 100 * MiB, 100 * MiB));
        progress.Report(new BenchProgress(BenchMode.Sg, BenchPhases.Deflate, 1 * MiB, 100 * MiB));

        var frames = writer.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, frames.Length); // first report, the finished one, the new phase
        Assert.Contains("100 MiB / 100 MiB", frames[1], StringComparison.Ordinal);
        Assert.StartsWith("deflating", frames[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_WithoutReports_WritesNothing()
    {
        using var writer = new StringWriter();
        new TerminalProgress(writer, TimeSpan.Zero).Dispose();
        Assert.Equal(string.Empty, writer.ToString());
    }
}
