using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ballast.Daemon.Api;
using Ballast.Daemon.Client;
using Ballast.Daemon.Output;
using Ballast.Virtio.Units;

namespace Ballast.Daemon.Commands;

/// <summary>
/// <c>ballast balloon set --target SIZE [--wait [--timeout S]]</c>: sets the balloon target and optionally waits
/// until the guest reports it (actual = target) and the host has released it (no release queued).
/// </summary>
public sealed class BalloonSetCommand : BalloonClientCommand
{
    /// <summary>Default <c>--timeout</c>, seconds.</summary>
    public const int DefaultTimeoutSeconds = 60;

    private readonly Func<bool> _showProgress;

    private readonly Option<long> _target = new("--target")
    {
        Description = $"The new target: how much memory the guest should give up. SIZE is 0 or {SizeParser.Syntax}; a multiple of 4 KiB, at most the guest's RAM",
        HelpName = "SIZE",
        Required = true,
        CustomParser = result => SizeOption.Parse(result, "--target", zeroAllowed: true) ?? 0,
    };

    private readonly Option<bool> _wait = new("--wait")
    {
        Description = "Wait until the guest's balloon reaches the target (actual = target) and the host has released it "
            + "(release_pending_bytes = 0, see serve --defer-release), showing progress on a terminal. The daemon answers as soon as "
            + "the guest writes actual (a long-poll, GET /balloon?wait=S); nothing polls",
    };

    private readonly Option<int?> _timeout = new("--timeout")
    {
        Description = $"With --wait: give up after S seconds, with exit code {ExitCodes.TimedOut} [default: {DefaultTimeoutSeconds}]",
        HelpName = "S",
    };

    /// <summary>The <c>set</c> subcommand.</summary>
    public BalloonSetCommand()
        : this(() => !Console.IsErrorRedirected)
    {
    }

    /// <summary>The <c>set</c> subcommand with its terminal test replaced, for tests.</summary>
    internal BalloonSetCommand(Func<bool> showProgress)
        : base("set", "Set the balloon target. With --wait, wait until the guest reports it has reached it; on timeout print the last "
            + $"actual size. Exit codes: 0 done, 1 refused by the daemon or unreachable, 2 bad command line, {ExitCodes.TimedOut} timed out, 130 cancelled.")
    {
        ArgumentNullException.ThrowIfNull(showProgress);
        _showProgress = showProgress;
        Options.Add(_target);
        Options.Add(_wait);
        Options.Add(_timeout);
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> Validate(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        if (parseResult.GetValue(_timeout) is { } timeout)
        {
            if (!parseResult.GetValue(_wait))
                yield return "--timeout only applies with --wait";
            if (timeout <= 0)
                yield return $"--timeout must be a positive number of seconds (got {timeout})";
        }
    }

    /// <inheritdoc/>
    protected override async Task<int> RunAsync(BalloonApiClient client, ParseResult parseResult, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var target = parseResult.GetValue(_target);
        var json = parseResult.GetValue(Json);
        await client.SetTargetAsync(target, ct).ConfigureAwait(false);
        if (!parseResult.GetValue(_wait))
        {
            if (json)
                await WriteJsonAsync(await client.GetBalloonAsync(ct).ConfigureAwait(false), stdout).ConfigureAwait(false);
            else
                await stdout.WriteLineAsync($"target set to {SizeFormatter.Format(target)}").ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var timeout = TimeSpan.FromSeconds(parseResult.GetValue(_timeout) ?? DefaultTimeoutSeconds);
        var elapsed = Stopwatch.StartNew();
        var (current, etag) = await client.GetBalloonVersionAsync(ct).ConfigureAwait(false);
        var state = current!;
        bool reached;
        using (var progress = _showProgress() ? new WaitProgress(stderr) : null)
        {
            while (true)
            {
                // With serve --defer-release the host may still be freeing what the guest gave: not done until it has.
                reached = state.ActualBytes == (ulong)target && state.ReleasePendingBytes == 0;
                var remaining = timeout - elapsed.Elapsed;
                if (reached || remaining <= TimeSpan.Zero)
                    break;
                progress?.Report(state.ActualBytes, (ulong)target);
                if (etag is null)
                    throw new BalloonApiException($"ballast serve at {client.SocketPath} cannot be waited on (GET /balloon has no ETag): it is older than this client");
                // The daemon answers when the balloon changes (the guest wrote actual, the releases are done) or the wait runs out.
                var change = await client.WaitForChangeAsync(etag, remaining < s_longestWait ? remaining : s_longestWait, ct).ConfigureAwait(false);
                state = change.State ?? state;
                etag = change.ETag ?? etag;
            }
        }

        if (json)
            await WriteJsonAsync(state, stdout).ConfigureAwait(false);
        if (!reached)
        {
            await stderr.WriteLineAsync($"ballast balloon set: timed out after {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s: "
                + $"actual {BalloonTextWriter.Size(state.ActualBytes)}, target {SizeFormatter.Format(target)}"
                + (state.ReleasePendingBytes > 0 ? $", host release still queued {BalloonTextWriter.Size(state.ReleasePendingBytes)}" : ""))
                .ConfigureAwait(false);
            return ExitCodes.TimedOut;
        }
        if (!json)
        {
            await stdout.WriteLineAsync($"target {SizeFormatter.Format(target)} reached in {elapsed.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s")
                .ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private static readonly TimeSpan s_longestWait = TimeSpan.FromSeconds(ApiRoutes.MaxWaitSeconds);

    private static Task WriteJsonAsync(BalloonState state, TextWriter stdout) =>
        stdout.WriteLineAsync(JsonSerializer.Serialize(state, ApiJsonContext.Default.BalloonState));
}
