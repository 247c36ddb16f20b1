using Ballast.Daemon.Output;

namespace Ballast.Cli.Tests.Balloon;

public class WaitProgressTests
{
    [Fact]
    public void Report_RewritesOneLine_DisposeErasesIt()
    {
        using var writer = new StringWriter();
        var progress = new WaitProgress(writer);

        progress.Report(1024UL << 20, 1536UL << 20);
        progress.Report(64UL << 20, 1536UL << 20);
        progress.Dispose();

        var first = WaitProgress.Describe(1024UL << 20, 1536UL << 20);
        var second = WaitProgress.Describe(64UL << 20, 1536UL << 20);
        Assert.Equal("waiting for the guest: actual 1024 MiB, target 1536 MiB", first);
        Assert.Equal("\r" + first + "\r" + second.PadRight(first.Length) + "\r" + new string(' ', second.Length) + "\r", writer.ToString());
        Assert.DoesNotContain("\n", writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_WithoutReport_WritesNothing()
    {
        using var writer = new StringWriter();

        new WaitProgress(writer).Dispose();

        Assert.Equal("", writer.ToString());
    }
}
