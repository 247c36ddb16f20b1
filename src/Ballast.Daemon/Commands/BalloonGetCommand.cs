using System.CommandLine;
using System.Text.Json;
using Ballast.Daemon.Api;
using Ballast.Daemon.Client;
using Ballast.Daemon.Output;

namespace Ballast.Daemon.Commands;

/// <summary><c>ballast balloon get</c>: the balloon's target, actual size, ballooned bytes, guest RAM, features and connection.</summary>
public sealed class BalloonGetCommand : BalloonClientCommand
{
    /// <summary>The <c>get</c> subcommand.</summary>
    public BalloonGetCommand()
        : base("get", "Show the balloon: target, actual (the guest's word), ballooned (the device's count), guest RAM, features, connection.")
    {
    }

    /// <inheritdoc/>
    protected override async Task<int> RunAsync(BalloonApiClient client, ParseResult parseResult, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var state = await client.GetBalloonAsync(ct).ConfigureAwait(false);
        if (parseResult.GetValue(Json))
            await stdout.WriteLineAsync(JsonSerializer.Serialize(state, ApiJsonContext.Default.BalloonState)).ConfigureAwait(false);
        else
            BalloonTextWriter.WriteState(state, stdout);
        return ExitCodes.Success;
    }
}
