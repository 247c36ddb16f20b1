using Microsoft.Extensions.Logging;

namespace Ballast.Autopilot;

/// <summary>The autopilot's log events (source-generated; ids 600–).</summary>
internal static partial class AutopilotLog
{
    [LoggerMessage(600, LogLevel.Information,
        "decision guest={Guest} reason={Reason} target_bytes={OldTarget}->{NewTarget} available_bytes={Available} band_bytes={Low}-{High} "
        + "max_target_bytes={MaxTarget} majflt_per_s={MajorFaults:0.#} swapin_bytes_per_s={SwapIn:0} applied={Applied}")]
    public static partial void Decision(ILogger logger, string guest, DecisionReason reason, long oldTarget, long newTarget, long? available,
        long low, long high, long maxTarget, double majorFaults, double swapIn, bool applied);

    [LoggerMessage(601, LogLevel.Debug, "decision guest={Guest} reason={Reason} target_bytes={Target} available_bytes={Available}")]
    public static partial void Unchanged(ILogger logger, string guest, DecisionReason reason, long target, long? available);

    [LoggerMessage(602, LogLevel.Information, "guest found: {Guest} ({RamBytes} bytes of RAM); asking for statistics every {Seconds} s")]
    public static partial void GuestFound(ILogger logger, string guest, ulong ramBytes, long seconds);

    [LoggerMessage(603, LogLevel.Information, "guest gone: {Guest}")]
    public static partial void GuestGone(ILogger logger, string guest);

    [LoggerMessage(604, LogLevel.Warning, "guest {Guest} skipped this round: {Error}")]
    public static partial void GuestFailed(ILogger logger, string guest, string error);

    [LoggerMessage(605, LogLevel.Information, "host pressure {State}: psi some avg10={Some} full avg10={Full}, MemAvailable={Available} bytes")]
    public static partial void HostPressure(ILogger logger, string state, double? some, double? full, long available);

    [LoggerMessage(606, LogLevel.Warning, "cannot read the host's memory state: {Error}")]
    public static partial void HostUnreadable(ILogger logger, string error);

    [LoggerMessage(607, LogLevel.Information, "autopilot: {Guests} guest socket(s) under {Where}, every {Interval} s{DryRun}")]
    public static partial void Started(ILogger logger, int guests, string where, double interval, string dryRun);
}
