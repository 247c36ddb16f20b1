using System.CommandLine;
using System.Text.Json;
using Ballast.Daemon.Api;
using Ballast.Daemon.Client;
using Ballast.Daemon.Output;

namespace Ballast.Daemon.Commands;

/// <summary><c>ballast balloon stats</c>: the guest's last memory statistics.</summary>
public sealed class BalloonStatsCommand : BalloonClientCommand
{
    private readonly TimeProvider _time;

    /// <summary>The <c>stats</c> subcommand.</summary>
    public BalloonStatsCommand()
        : this(TimeProvider.System)
    {
    }

    /// <summary>The <c>stats</c> subcommand with its clock replaced (for the "s ago" column), for tests.</summary>
    internal BalloonStatsCommand(TimeProvider time)
        : base("stats", "Show the guest's last memory statistics (sizes in bytes, the rest counts; '-' = not reported) and the polling interval. "
            + "Fails while the guest has sent none.")
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <inheritdoc/>
    protected override async Task<int> RunAsync(BalloonApiClient client, ParseResult parseResult, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var report = await client.GetStatisticsAsync(ct).ConfigureAwait(false);
        if (parseResult.GetValue(Json))
            await stdout.WriteLineAsync(JsonSerializer.Serialize(report, ApiJsonContext.Default.StatisticsReport)).ConfigureAwait(false);
        else
            BalloonTextWriter.WriteStatistics(report, _time.GetUtcNow(), stdout);
        return ExitCodes.Success;
    }
}
