using Ballast.Cli.Commands;
using Ballast.Daemon.Commands;
using Microsoft.Extensions.Logging.Abstractions;
using System.CommandLine;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>Runs <c>ballast serve</c> and <c>ballast balloon</c> in-process, capturing standard output and error.</summary>
internal static class BallastCli
{
    /// <summary>A <c>serve</c> command whose transport is <paramref name="backend"/> and whose logs go nowhere.</summary>
    public static ServeCommand Serve(FakeBalloonBackend backend) =>
        new(backend.Factory, _ => NullLoggerFactory.Instance);

    /// <summary>A <c>balloon</c> command that polls quickly and draws no progress line.</summary>
    public static BalloonCommand Balloon() =>
        new(new BalloonSetCommand(() => false), new BalloonStatsCommand());

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new LockedStringWriter();
        using var stderr = new LockedStringWriter();
        var exitCode = await RunAsync(args, stdout, stderr, serve: null, CancellationToken.None);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ServeCommand? serve, CancellationToken ct)
    {
        var bench = new BenchCommand(() => throw new InvalidOperationException("bench is not used by these tests"));
        var root = CliApp.CreateRootCommand(bench, serve ?? Serve(new FakeBalloonBackend()), Balloon());
        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null };
        return CliApp.InvokeAsync(root, args, configuration, ct);
    }
}
