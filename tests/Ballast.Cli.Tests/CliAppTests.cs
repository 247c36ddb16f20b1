using Ballast.Cli.Commands;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests;

public class CliAppTests
{
    [Fact]
    public void ConsoleConfiguration_HandlesCtrlC()
    {
        // System.CommandLine 2.0.0 leaves this null by default, and then Ctrl+C kills the process
        // without cancelling the engine's token.
        var configuration = CliApp.CreateConsoleConfiguration();
        Assert.Equal(CliApp.ProcessTerminationTimeout, configuration.ProcessTerminationTimeout);
        Assert.NotNull(configuration.ProcessTerminationTimeout);
    }

    [Fact]
    public void RootCommand_HasBench()
    {
        using var engine = new FakeBenchEngine();
        var root = CliApp.CreateRootCommand(new BenchCommand(engine.Factory));
        Assert.Contains(root.Subcommands, command => command.Name == "bench");
    }

    [Fact]
    public async Task RootHelp_ListsBench()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("bench", result.StdOut, StringComparison.Ordinal);
    }
}
