using System.CommandLine;
using Ballast.Cli.Commands;
using Ballast.Daemon;
using Ballast.Daemon.Commands;

namespace Ballast.Cli;

/// <summary>
/// Builds and runs the <c>ballast</c> command line: <c>serve</c> and <c>balloon</c> (from Ballast.Daemon, shared with
/// <c>ballastd</c>), and <c>bench</c> and <c>guest-bench</c> (one file each under <c>Commands/</c>).
/// </summary>
public static class CliApp
{
    /// <summary>The program's name as users type it.</summary>
    public const string ProgramName = "ballast";

    /// <summary>How long a command may take to stop after Ctrl+C or SIGTERM before the process exits anyway.</summary>
    public static TimeSpan ProcessTerminationTimeout => CommandLineApp.ProcessTerminationTimeout;

    /// <summary>The console configuration (<see cref="CommandLineApp.CreateConsoleConfiguration"/>).</summary>
    public static InvocationConfiguration CreateConsoleConfiguration() => CommandLineApp.CreateConsoleConfiguration();

    /// <summary>The root command with <paramref name="bench"/> and the default <c>serve</c> and <c>balloon</c>.</summary>
    public static RootCommand CreateRootCommand(BenchCommand bench) =>
        CreateRootCommand(bench, new ServeCommand(), new BalloonCommand());

    /// <summary>The root command with its subcommands (and the default <c>guest-bench</c>).</summary>
    public static RootCommand CreateRootCommand(BenchCommand bench, ServeCommand serve, BalloonCommand balloon)
    {
        ArgumentNullException.ThrowIfNull(bench);
        ArgumentNullException.ThrowIfNull(serve);
        ArgumentNullException.ThrowIfNull(balloon);
        return new RootCommand("ballast: a virtio memory-balloon stack (balloon device, scatter-gather driver algorithm, vhost-user daemon).")
        {
            serve,
            balloon,
            bench,
            new GuestBenchCommand(),
            new Autopilot.AutopilotCommand(),
        };
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the chosen command (<see cref="CommandLineApp.InvokeAsync"/>): parse errors
    /// go to the error writer and give <see cref="ExitCodes.Usage"/>.
    /// </summary>
    /// <param name="root">The command tree, from <see cref="CreateRootCommand(BenchCommand, ServeCommand, BalloonCommand)"/>.</param>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="configuration">Output/error writers and Ctrl+C handling; <see cref="CreateConsoleConfiguration"/> by default.</param>
    /// <param name="ct">Cancels the command as Ctrl+C would.</param>
    public static Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, InvocationConfiguration? configuration = null, CancellationToken ct = default) =>
        CommandLineApp.InvokeAsync(ProgramName, root, args, configuration, ct);
}
