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

    /// <summary>How often <c>--wait</c> asks the daemon by default.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(250);

    private readonly Func<bool> _showProgress;
    private readonly TimeSpan _pollInterval;

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
            + "(release_pending_bytes = 0, see serve --defer-release), showing progress on a terminal",
    };

    private readonly Option<int?> _timeout = new("--timeout")
    {
        Description = $"With --wait: give up after S seconds, with exit code {ExitCodes.TimedOut} [default: {DefaultTimeoutSeconds}]",
        HelpName = "S",
    };

    /// <summary>The <c>set</c> subcommand.</summary>
    public BalloonSetCommand()
        : this(() => !Console.IsErrorRedirected, DefaultPollInterval)
    {
    }

    /// <summary>The <c>set</c> subcommand with its terminal test and polling pace replaced, for tests.</summary>
    internal BalloonSetCommand(Func<bool> showProgress, TimeSpan pollInterval)
        : base("set", "Set the balloon target. With --wait, wait until the guest reports it has reached it; on timeout print the last "
            + $"actual size. Exit codes: 0 done, 1 refused by the daemon or unreachable, 2 bad command line, {ExitCodes.TimedOut} timed out, 130 cancelled.")
    {
        ArgumentNullException.ThrowIfNull(showProgress);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        _showProgress = showProgress;
        _pollInterval = pollInterval;
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
        BalloonState state;
        bool reached;
        using (var progress = _showProgress() ? new WaitProgress(stderr) : null)
        {
            while (true)
            {
                state = await client.GetBalloonAsync(ct).ConfigureAwait(false);
                // With serve --defer-release the host may still be freeing what the guest gave: not done until it has.
                reached = state.ActualBytes == (ulong)target && state.ReleasePendingBytes == 0;
                if (reached || elapsed.Elapsed >= timeout)
                    break;
                progress?.Report(state.ActualBytes, (ulong)target);
                var remaining = timeout - elapsed.Elapsed;
                await Task.Delay(remaining < _pollInterval ? remaining : _pollInterval, ct).ConfigureAwait(false);
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

    private static Task WriteJsonAsync(BalloonState state, TextWriter stdout) =>
        stdout.WriteLineAsync(JsonSerializer.Serialize(state, ApiJsonContext.Default.BalloonState));
}
