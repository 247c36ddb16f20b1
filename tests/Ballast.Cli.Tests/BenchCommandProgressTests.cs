using System.Text.Json;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests;

public class BenchCommandProgressTests
{
    [Fact]
    public async Task Bench_OnATerminal_DrawsTheBarOnStderrAndKeepsStdoutToTheJson()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine.Factory, CliHarness.PlentyOfMemory, showProgress: true, CancellationToken.None, "bench", "--json");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.DoesNotContain('\u001b', result.StdOut);
        Assert.Contains("\u001b[", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("100%", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("steps done", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_Redirected_WritesNoProgressAtAll()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine.Factory, CliHarness.PlentyOfMemory, showProgress: false, CancellationToken.None, "bench");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.StdErr);
        Assert.DoesNotContain('\u001b', result.StdOut);
        Assert.DoesNotContain('\r', result.StdOut);
        Assert.Contains("sg", result.StdOut, StringComparison.Ordinal);
    }
}
