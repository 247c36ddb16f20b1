using System.CommandLine;
using System.CommandLine.Invocation;

namespace Ballast.Daemon.Commands;

/// <summary>
/// Parses and runs a command line for both programs, <c>ballast</c> and <c>ballastd</c>: Ctrl+C/SIGTERM cancel the
/// command's token, and a parse error is printed to standard error (never the full help) with <see cref="ExitCodes.Usage"/>.
/// </summary>
public static class CommandLineApp
{
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

    /// <summary>
    /// Parses <paramref name="args"/> and runs the chosen command. Parse errors are printed to the
    /// configured error writer without the full help (so nothing but results ever reaches standard
    /// output), followed by "Run '<paramref name="programName"/> … --help' for usage.", and give <see cref="ExitCodes.Usage"/>.
    /// </summary>
    /// <param name="programName">The program's name as users type it (<c>ballast</c>, <c>ballastd</c>).</param>
    /// <param name="root">The command tree.</param>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="configuration">Output/error writers and Ctrl+C handling; <see cref="CreateConsoleConfiguration"/> by default.</param>
    /// <param name="ct">Cancels the command as Ctrl+C would.</param>
    public static async Task<int> InvokeAsync(string programName, RootCommand root, IReadOnlyList<string> args,
        InvocationConfiguration? configuration = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(programName);
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
        var commandPath = string.Join(' ', names.Prepend(programName));
        await configuration.Error.WriteLineAsync($"Run '{commandPath} --help' for usage.").ConfigureAwait(false);
        return ExitCodes.Usage;
    }
}
