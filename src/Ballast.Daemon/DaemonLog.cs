using Ballast.Balloon.Device;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// The daemon's structured log messages (source-generated; event ids 400–499: 400–409 <see cref="ServeDaemon"/>,
/// 410–419 the <see cref="ManagementApi"/>, 420–429 the <see cref="StatisticsPoller"/>, 440–449 <see cref="InitialTarget"/>).
/// </summary>
internal static partial class DaemonLog
{
    [LoggerMessage(400, LogLevel.Information, "serving a balloon on {Socket}: features {Features}, {Queues} queues, SG bit {SgBit}, release {Release}{Deferred}, statistics every {Interval} s")]
    public static partial void Serving(ILogger logger, string socket, string features, int queues, int sgBit, ReleasePolicy release, string deferred, int interval);

    [LoggerMessage(401, LogLevel.Warning, "--allow-unsealed-memory: guest RAM not sealed against shrinking is mapped too; the front-end is trusted "
        + "never to truncate it (a truncated file faults this daemon with SIGBUS)")]
    public static partial void UnsealedMemoryAllowed(ILogger logger);

    [LoggerMessage(402, LogLevel.Error, "the vhost-user transport stopped on its own")]
    public static partial void TransportStopped(ILogger logger);

    [LoggerMessage(403, LogLevel.Critical, "the vhost-user transport failed")]
    public static partial void TransportFailed(ILogger logger, Exception exception);

    [LoggerMessage(404, LogLevel.Debug, "removed {Socket}")]
    public static partial void SocketRemoved(ILogger logger, string socket);

    [LoggerMessage(405, LogLevel.Information, "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(410, LogLevel.Information, "management API listening on {Socket} (HTTP/1.1, mode 0600)")]
    public static partial void ApiListening(ILogger logger, string socket);

    [LoggerMessage(411, LogLevel.Warning, "the management API did not shut down within {Timeout} s; closing its socket anyway")]
    public static partial void ApiShutdownTimedOut(ILogger logger, double timeout);

    [LoggerMessage(412, LogLevel.Warning, "refused a management connection: its peer's credentials could not be read (SO_PEERCRED)")]
    public static partial void RefusedUnknownPeer(ILogger logger);

    [LoggerMessage(413, LogLevel.Warning, "refused a management connection from pid {Pid} uid {Uid} gid {Gid}: only uid {Owner} and root may use the API")]
    public static partial void RefusedPeer(ILogger logger, int pid, uint uid, uint gid, uint owner);

    [LoggerMessage(414, LogLevel.Information, "balloon target set to {Target} ({Pages} pages)")]
    public static partial void TargetSet(ILogger logger, string target, ulong pages);

    [LoggerMessage(420, LogLevel.Information, "statistics polling interval {Seconds} s{Off}")]
    public static partial void PollingInterval(ILogger logger, int seconds, string off);

    [LoggerMessage(421, LogLevel.Debug, "asked the guest for fresh statistics")]
    public static partial void StatisticsRequested(ILogger logger);

    [LoggerMessage(422, LogLevel.Debug, "no statistics request: the guest has no stats buffer with the device (not connected, no stats queue, or still answering)")]
    public static partial void NoStatisticsRequest(ILogger logger);

    [LoggerMessage(423, LogLevel.Error, "asking the guest for statistics failed")]
    public static partial void StatisticsRequestFailed(ILogger logger, Exception exception);

    [LoggerMessage(430, LogLevel.Information, "handover: the session resumed {PauseMs:F1} ms after the worker before this one was asked to stop (the guest's rings were stopped at most that long; the descriptors arrived after {ArrivedMs:F1} ms)")]
    public static partial void HandOverPause(ILogger logger, double pauseMs, double arrivedMs);

    [LoggerMessage(431, LogLevel.Information, "handed over: the next worker serves the session; this one exits")]
    public static partial void HandedOver(ILogger logger);

    [LoggerMessage(432, LogLevel.Information, "resumed the balloon from its record: {BalloonedBytes} bytes ballooned, target {TargetBytes} bytes, actual {ActualBytes} bytes")]
    public static partial void BalloonResumed(ILogger logger, ulong balloonedBytes, long targetBytes, long actualBytes);

    [LoggerMessage(433, LogLevel.Error, "the kept balloon record is unusable ({Error}); starting from an empty balloon")]
    public static partial void BalloonRecordUnusable(ILogger logger, string error);

    [LoggerMessage(440, LogLevel.Information, "--target: the guest's driver is ready; target set to {Target} ({Pages} pages)")]
    public static partial void InitialTargetSet(ILogger logger, string target, ulong pages);

    [LoggerMessage(441, LogLevel.Error, "--target: not applied: {Reason}")]
    public static partial void InitialTargetRefused(ILogger logger, string reason);

    [LoggerMessage(450, LogLevel.Debug, "trimmed: released {FileKiB} KiB of mapped file pages; GC heap {HeapKiB} KiB committed after a full collection")]
    public static partial void Trimmed(ILogger logger, long fileKiB, long heapKiB);
}
