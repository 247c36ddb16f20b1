using System.CommandLine;
using Ballast.Simulation.Experiment;
using Ballast.Cli.Commands;

namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>
/// Runs <c>ballast</c> in-process with an injected engine and host, capturing standard output and
/// standard error through System.CommandLine's <see cref="InvocationConfiguration"/>.
/// </summary>
internal static class CliHarness
{
    /// <summary>MemAvailable the tests pretend the host has: plenty for the default 8 GiB guest.</summary>
    public const long PlentyOfMemory = 64L << 30;

    /// <summary>Runs <paramref name="args"/> against <paramref name="engine"/>'s factory.</summary>
    public static Task<CliResult> RunAsync(FakeBenchEngine engine, params string[] args) =>
        RunAsync(engine.Factory, PlentyOfMemory, CancellationToken.None, args);

    /// <summary>Runs <paramref name="args"/> with everything the command sees of the host given.</summary>
    public static Task<CliResult> RunAsync(Func<IBenchEngine> factory, long? availableHostBytes, CancellationToken ct, params string[] args) =>
        RunAsync(factory, availableHostBytes, showProgress: false, ct, args);

    /// <summary>As above, with the progress bar drawn on the captured standard error as if it were a terminal when <paramref name="showProgress"/>.</summary>
    public static async Task<CliResult> RunAsync(Func<IBenchEngine> factory, long? availableHostBytes, bool showProgress, CancellationToken ct, params string[] args)
    {
        var bench = new BenchCommand(factory, () => availableHostBytes, () => showProgress);
        var root = CliApp.CreateRootCommand(bench);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            ProcessTerminationTimeout = null,
        };
        var exitCode = await CliApp.InvokeAsync(root, args, configuration, ct);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }
}
