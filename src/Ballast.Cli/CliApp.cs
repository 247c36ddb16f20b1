using System.CommandLine;
using System.CommandLine.Invocation;
using Ballast.Cli.Commands;
using Ballast.Daemon;

namespace Ballast.Cli;

/// <summary>
/// Builds and runs the <c>ballast</c> command line. One file per command under <c>Commands/</c>:
/// <c>serve</c>, <c>balloon</c>, <c>bench</c> and <c>guest-bench</c>.
/// </summary>
public static class CliApp
{
    /// <summary>The program's name as users type it.</summary>
    public const string ProgramName = "ballast";

    /// <summary>How long a command may take to stop after Ctrl+C or SIGTERM before the process exits anyway.</summary>
    public static readonly TimeSpan ProcessTerminationTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The console configuration: standard output and error, and Ctrl+C/SIGTERM cancelling the
    /// command's token. System.CommandLine 2.0.0's own default leaves signal handling off
    /// (<see cref="InvocationConfiguration.ProcessTerminationTimeout"/> is null there), so it is set here.
    /// </summary>
    public static InvocationConfiguration CreateConsoleConfiguration() => new()
    {
        ProcessTerminationTimeout = ProcessTerminationTimeout,
    };

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
        };
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the chosen command. Parse errors are printed to the
    /// configured error writer without the full help (so nothing but results ever reaches standard
    /// output) and give <see cref="ExitCodes.Usage"/>.
    /// </summary>
    /// <param name="root">The command tree, from <see cref="CreateRootCommand(BenchCommand, ServeCommand, BalloonCommand)"/>.</param>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="configuration">Output/error writers and Ctrl+C handling; <see cref="CreateConsoleConfiguration"/> by default.</param>
    /// <param name="ct">Cancels the command as Ctrl+C would.</param>
    public static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, InvocationConfiguration? configuration = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        configuration ??= CreateConsoleConfiguration();
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count == 0)
            return await parseResult.InvokeAsync(configuration, ct).ConfigureAwait(false);

        if (parseResult.Action is ParseErrorAction errorAction)
            errorAction.ShowHelp = false;
        // System.CommandLine writes typo suggestions to Output: send everything about the error to Error.
        var errorOnly = new InvocationConfiguration
        {
            Output = configuration.Error,
            Error = configuration.Error,
            EnableDefaultExceptionHandler = configuration.EnableDefaultExceptionHandler,
            ProcessTerminationTimeout = configuration.ProcessTerminationTimeout,
        };
        await parseResult.InvokeAsync(errorOnly, ct).ConfigureAwait(false);
        var command = parseResult.CommandResult.Command;
        var names = command.Parents.OfType<Command>().Reverse().Append(command)
            .Where(c => c is not RootCommand).Select(c => c.Name);
        var commandPath = string.Join(' ', names.Prepend(ProgramName));
        await configuration.Error.WriteLineAsync($"Run '{commandPath} --help' for usage.").ConfigureAwait(false);
        return ExitCodes.Usage;
    }
}
