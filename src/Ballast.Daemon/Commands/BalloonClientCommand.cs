using System.CommandLine;
using Ballast.Daemon.Client;

namespace Ballast.Daemon.Commands;

/// <summary>
/// A <c>ballast balloon</c> subcommand: talks to <c>ballast serve</c>'s management API on <c>--api</c> and prints
/// people's text, or one JSON object with <c>--json</c>. A refusal from the daemon (its message) or an unreachable
/// socket goes to standard error with exit code 1.
/// </summary>
public abstract class BalloonClientCommand : Command
{
    /// <summary>A subcommand named <paramref name="name"/>.</summary>
    protected BalloonClientCommand(string name, string description)
        : base(name, description)
    {
        Options.Add(Api);
        Options.Add(Json);
        SetAction(InvokeAsync);
    }

    /// <summary><c>--api PATH</c>: the daemon's API socket.</summary>
    protected Option<string> Api { get; } = new("--api")
    {
        Description = "The management API socket of 'ballast serve' (its --api; by default <socket>.api)",
        HelpName = "PATH",
        Required = true,
    };

    /// <summary><c>--json</c>: one JSON object (the API's own) on standard output instead of text.</summary>
    protected Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object (as the API returns it, snake_case) instead of text",
    };

    /// <summary>Reasons the command line cannot run, checked before connecting; empty if none.</summary>
    protected virtual IEnumerable<string> Validate(ParseResult parseResult) => [];

    /// <summary>Does the command's work with <paramref name="client"/>; returns the exit code.</summary>
    protected abstract Task<int> RunAsync(BalloonApiClient client, ParseResult parseResult, TextWriter stdout, TextWriter stderr, CancellationToken ct);

    private async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken ct)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        var errors = Validate(parseResult).ToList();
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await stderr.WriteLineAsync($"ballast balloon {Name}: {error}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var client = new BalloonApiClient(parseResult.GetRequiredValue(Api));
        try
        {
            return await RunAsync(client, parseResult, stdout, stderr, ct).ConfigureAwait(false);
        }
        catch (BalloonApiException ex)
        {
            await stderr.WriteLineAsync($"ballast balloon {Name}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"ballast balloon {Name}: cancelled").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
    }
}
