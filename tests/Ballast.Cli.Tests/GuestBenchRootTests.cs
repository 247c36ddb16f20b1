using System.CommandLine;
using Ballast.Cli.Commands;
using Ballast.Daemon;

namespace Ballast.Cli.Tests;

public class GuestBenchRootTests
{
    [Fact]
    public async Task GuestBench_NotRoot_PrintsOneLineAndExits2BeforeAnything()
    {
        var root = new RootCommand { new GuestBenchCommand(() => 64L << 30, isRoot: () => false, showProgress: () => false) };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null };

        var exitCode = await CliApp.InvokeAsync(root, ["guest-bench"], configuration);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, stdout.ToString());
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ballast guest-bench: needs root", line, StringComparison.Ordinal);
    }
}
