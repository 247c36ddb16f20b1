using Microsoft.Extensions.Logging;

namespace Ballast.VhostUser.Backend;

/// <summary>The backend's structured log messages (source-generated; event ids 100–199).</summary>
internal static partial class BackendLog
{
    [LoggerMessage(100, LogLevel.Information, "vhost-user backend listening on {SocketPath} (mode {Mode}; allowed: {Allowed})")]
    public static partial void Listening(ILogger logger, string socketPath, string mode, string allowed);

    [LoggerMessage(101, LogLevel.Information, "vhost-user front-end connected on {SocketPath}")]
    public static partial void Connected(ILogger logger, string socketPath);

    [LoggerMessage(102, LogLevel.Warning, "refused a second vhost-user front-end on {SocketPath}: one is already connected")]
    public static partial void RefusedSecondClient(ILogger logger, string socketPath);

    [LoggerMessage(103, LogLevel.Information, "vhost-user front-end disconnected: {Reason}")]
    public static partial void Disconnected(ILogger logger, string reason);

    [LoggerMessage(104, LogLevel.Information, "vhost-user backend on {SocketPath} stopped")]
    public static partial void Stopped(ILogger logger, string socketPath);

    [LoggerMessage(105, LogLevel.Error, "a ConnectionChanged handler failed")]
    public static partial void ConnectionHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(106, LogLevel.Error, "the vhost-user connection failed unexpectedly; dropping it")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(107, LogLevel.Error, "a vhost-user session did not end within {Seconds} s; abandoning it")]
    public static partial void SessionDidNotEnd(ILogger logger, double seconds);

    [LoggerMessage(108, LogLevel.Warning, "refused a vhost-user connection on {SocketPath} from pid {Pid} uid {Uid} gid {Gid}: only {Allowed} may connect")]
    public static partial void RefusedPeer(ILogger logger, string socketPath, int pid, uint uid, uint gid, string allowed);

    [LoggerMessage(109, LogLevel.Warning, "refused a vhost-user connection on {SocketPath}: the peer's credentials could not be read (SO_PEERCRED, errno {Errno})")]
    public static partial void RefusedUnknownPeer(ILogger logger, string socketPath, int errno);

    [LoggerMessage(110, LogLevel.Debug, "received {Request} flags 0x{Flags:x} size {Size} fds {Fds}")]
    public static partial void Request(ILogger logger, string request, uint flags, uint size, int fds);

    [LoggerMessage(111, LogLevel.Warning, "{Request} failed: {Error}; replying with an error (NEED_REPLY)")]
    public static partial void RequestFailedReplied(ILogger logger, string request, string error);

    [LoggerMessage(112, LogLevel.Warning, "{Request} failed: {Error}; dropping the front-end (it asked for no reply)")]
    public static partial void RequestFailedDisconnect(ILogger logger, string request, string error);

    [LoggerMessage(113, LogLevel.Warning, "protocol violation: {Error}; dropping the front-end")]
    public static partial void ProtocolViolation(ILogger logger, string error);

    [LoggerMessage(114, LogLevel.Warning, "GetConfig refused: {Error}; replying with an empty payload")]
    public static partial void GetConfigRefused(ILogger logger, string error);

    [LoggerMessage(120, LogLevel.Information, "memory table: {Regions} regions, {Bytes} bytes of guest RAM")]
    public static partial void MemoryTable(ILogger logger, int regions, ulong bytes);

    [LoggerMessage(122, LogLevel.Information, "memory region {Index}: guest-physical 0x{Address:x}, {Bytes} bytes, backed by {Backing} (host page {HostPage} bytes)")]
    public static partial void MemoryRegionBacking(ILogger logger, int index, ulong address, ulong bytes, string backing, ulong hostPage);

    [LoggerMessage(121, LogLevel.Debug, "ring {Index} started: size {Size}, descriptors 0x{Desc:x}, available 0x{Avail:x}, used 0x{Used:x} (guest-physical), next available {NextAvail}")]
    public static partial void RingStarted(ILogger logger, int index, int size, ulong desc, ulong avail, ulong used, ushort nextAvail);

    [LoggerMessage(128, LogLevel.Information, "ring {Index} resumes at used index {UsedIndex}: {Pending} chain(s) taken before and not returned are handled again")]
    public static partial void RingResumed(ILogger logger, int index, ushort usedIndex, int pending);

    [LoggerMessage(140, LogLevel.Information, "session resumed from the kept descriptors: {Regions} memory region(s), {Rings} ring(s) running")]
    public static partial void SessionResumed(ILogger logger, int regions, int rings);

    [LoggerMessage(141, LogLevel.Error, "the kept session cannot be resumed: {Error}; the connection is closed")]
    public static partial void SessionNotResumed(ILogger logger, string error);

    [LoggerMessage(142, LogLevel.Information, "session handed over: this process lets go of the connection without resetting the device")]
    public static partial void SessionHandedOver(ILogger logger);

    [LoggerMessage(143, LogLevel.Information, "the process before handled {Request} and kept its effect, then stopped before its reply went out: the reply is sent now")]
    public static partial void OwedReplySent(ILogger logger, string request);

    [LoggerMessage(144, LogLevel.Information, "the process before handled {Request} and kept its effect, then stopped before taking it off the socket: taken off and answered now, not handled twice")]
    public static partial void OwedRequestTakenOff(ILogger logger, string request);

    [LoggerMessage(145, LogLevel.Information, "the reply to {Request} the process before sent reached the front-end (its next request waits): not sent again")]
    public static partial void OwedReplyAlreadyDelivered(ILogger logger, string request);

    [LoggerMessage(122, LogLevel.Warning, "ring {Index} cannot start: {Error}")]
    public static partial void RingStartFailed(ILogger logger, int index, string error);

    [LoggerMessage(123, LogLevel.Debug, "ring {Index} stopped at available index {NextAvail}")]
    public static partial void RingStopped(ILogger logger, int index, ushort nextAvail);

    [LoggerMessage(124, LogLevel.Warning, "ring {Index} is broken: {Reason}; signalled its error eventfd")]
    public static partial void RingBroken(ILogger logger, int index, string? reason);

    [LoggerMessage(125, LogLevel.Error, "processing ring {Index} failed")]
    public static partial void ProcessFailed(ILogger logger, int index, Exception exception);

    [LoggerMessage(126, LogLevel.Warning, "ring {Index}: {Kind} without a descriptor (polling mode) is not supported; the ring stays stopped")]
    public static partial void NoFdUnsupported(ILogger logger, int index, string kind);

    [LoggerMessage(127, LogLevel.Warning, "region {Index}'s descriptor is not sealed against shrinking (F_SEAL_SHRINK); mapped anyway "
        + "(--allow-unsealed-memory): if the front-end truncates it, the daemon's next access to a lost page faults (SIGBUS)")]
    public static partial void UnsealedRegionAccepted(ILogger logger, int index);

    [LoggerMessage(130, LogLevel.Warning, "the front-end accepted features 0x{Unknown:x} that were not offered; ignored")]
    public static partial void FeaturesNotOffered(ILogger logger, ulong unknown);

    [LoggerMessage(131, LogLevel.Warning, "the front-end refused CONFIG_CHANGE_MSG with status {Status}")]
    public static partial void ConfigChangeRefused(ILogger logger, ulong status);

    [LoggerMessage(132, LogLevel.Warning, "backend-request channel failed: {Error}; config changes will not be announced")]
    public static partial void BackendChannelFailed(ILogger logger, string error);

    [LoggerMessage(133, LogLevel.Debug, "target changed but there is no backend-request channel to announce it")]
    public static partial void NoBackendChannel(ILogger logger);
}
