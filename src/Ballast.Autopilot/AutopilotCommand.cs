using System.CommandLine;
using Ballast.Daemon;
using Microsoft.Extensions.Logging;

namespace Ballast.Autopilot;

/// <summary>
/// <c>ballast autopilot PLACE...</c>: one process per host that sizes every guest's balloon (see
/// <see cref="AutopilotPolicy"/> and README "Autopilot"). Each PLACE is a daemon's API socket or a directory of them
/// (<c>*.api</c>). Runs until Ctrl+C or SIGTERM (exit 0).
/// </summary>
public sealed class AutopilotCommand : Command
{
    private static readonly AutopilotSettings s_defaults = new();

    private readonly Argument<string[]> _places = new("PLACE")
    {
        Description = "A 'ballast serve' API socket, or a directory whose *.api sockets are watched (guests may come and go)",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<double> _interval = new("--interval")
    {
        Description = "Seconds between decisions; each guest is asked for statistics as often",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => s_defaults.IntervalSeconds,
    };

    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Log every decision but set no target" };

    private readonly Option<string?> _metricsFile = new("--metrics-file")
    {
        Description = "Write Prometheus-format metrics here after every round (for node_exporter's textfile collector)",
        HelpName = "PATH",
    };

    private readonly Option<double> _low = new("--low")
    {
        Description = "Low edge of the available-memory band, a share of guest RAM (at least 128 MiB)",
        HelpName = "FRACTION",
        DefaultValueFactory = _ => s_defaults.LowFraction,
    };

    private readonly Option<double> _band = new("--band")
    {
        Description = "Width of the band, a share of guest RAM (at least 128 MiB)",
        HelpName = "FRACTION",
        DefaultValueFactory = _ => s_defaults.BandFraction,
    };

    private readonly Option<double> _floor = new("--floor")
    {
        Description = "Share of its RAM every guest keeps whatever happens (at least 256 MiB)",
        HelpName = "FRACTION",
        DefaultValueFactory = _ => s_defaults.FloorFraction,
    };

    private readonly Option<double> _takeRate = new("--take-rate")
    {
        Description = "Largest inflate per second, a share of guest RAM",
        HelpName = "FRACTION",
        DefaultValueFactory = _ => s_defaults.TakeRateFraction,
    };

    private readonly Option<double> _cooldown = new("--cooldown")
    {
        Description = "Seconds after giving a guest memory back during which none is taken from it",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => s_defaults.CooldownSeconds,
    };

    private readonly Option<string> _logLevel = new Option<string>("--log-level")
    {
        Description = $"Least severe log events written to standard error ({string.Join(", ", ServeLogging.LevelNames)}); decisions that change "
            + "a target are info, unchanged ones debug",
        HelpName = "LEVEL",
        DefaultValueFactory = _ => "info",
    }.AcceptOnlyFromAmong([.. ServeLogging.LevelNames]);

    private readonly Option<string> _logFormat = new Option<string>("--log-format")
    {
        Description = $"Log line format: {string.Join(", ", ServeLogging.FormatNames)}",
        HelpName = "FORMAT",
        DefaultValueFactory = _ => "simple",
    }.AcceptOnlyFromAmong([.. ServeLogging.FormatNames]);

    /// <summary>The command.</summary>
    public AutopilotCommand()
        : base("autopilot", "Size every guest's balloon from its own statistics and the host's memory pressure: keep each guest's available "
            + "memory in a band, give memory back at once when a guest needs it, take it gradually when it does not, take first from the "
            + "guests with the most headroom when the host is short. Runs until Ctrl+C or SIGTERM. Exit codes: 0 stopped, 2 bad command line.")
    {
        Arguments.Add(_places);
        foreach (var option in new Option[] { _interval, _dryRun, _metricsFile, _low, _band, _floor, _takeRate, _cooldown, _logLevel, _logFormat })
            Options.Add(option);
        SetAction(RunAsync);
    }

    /// <summary>The settings <paramref name="parseResult"/> stands for (not yet validated).</summary>
    internal AutopilotSettings ReadSettings(ParseResult parseResult) => s_defaults with
    {
        IntervalSeconds = parseResult.GetValue(_interval),
        DryRun = parseResult.GetValue(_dryRun),
        LowFraction = parseResult.GetValue(_low),
        BandFraction = parseResult.GetValue(_band),
        FloorFraction = parseResult.GetValue(_floor),
        TakeRateFraction = parseResult.GetValue(_takeRate),
        CooldownSeconds = parseResult.GetValue(_cooldown),
    };

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken ct)
    {
        var stderr = parseResult.InvocationConfiguration.Error;
        var settings = ReadSettings(parseResult);
        var errors = settings.Validate();
        var places = parseResult.GetRequiredValue(_places);
        errors = [.. errors, .. places.Where(p => !Directory.Exists(p) && !File.Exists(p)).Select(p => $"{p}: no such socket or directory")];
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await stderr.WriteLineAsync($"ballast autopilot: {error}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        using var loggerFactory = ServeLogging.CreateFactory(new ServeLogSettings(ServeLogging.ParseLevel(parseResult.GetRequiredValue(_logLevel)),
            ServeLogging.TryParseFormat(parseResult.GetRequiredValue(_logFormat)) ?? ServeLogFormat.Simple));
        using var runner = new AutopilotRunner(new AutopilotPolicy(settings), places, path => new ApiGuestEndpoint(path), () => HostPressure.Read(),
            loggerFactory.CreateLogger<AutopilotRunner>(), parseResult.GetValue(_metricsFile));
        try
        {
            await runner.RunAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return ExitCodes.Success;
    }
}
