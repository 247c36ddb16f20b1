using Microsoft.Extensions.Logging;

namespace Ballast.VhostUser.Frontend;

/// <summary>The frontend's structured log messages (source-generated; event ids 200–299).</summary>
internal static partial class FrontendLog
{
    [LoggerMessage(200, LogLevel.Debug, "connected to {SocketPath}: device features 0x{Features:x}, protocol features 0x{Protocol:x}, {Queues} queues")]
    public static partial void Connected(ILogger logger, string socketPath, ulong features, ulong protocol, int queues);

    [LoggerMessage(201, LogLevel.Debug, "backend sent CONFIG_CHANGE_MSG")]
    public static partial void ConfigChange(ILogger logger);

    [LoggerMessage(202, LogLevel.Warning, "backend sent unsupported request {Request} on the backend-request channel")]
    public static partial void UnsupportedBackendRequest(ILogger logger, uint request);

    [LoggerMessage(203, LogLevel.Warning, "backend-request channel failed: {Error}")]
    public static partial void BackendChannelFailed(ILogger logger, string error);

    [LoggerMessage(204, LogLevel.Warning, "backend signalled an error on queue {Queue}")]
    public static partial void QueueError(ILogger logger, int queue);

    [LoggerMessage(205, LogLevel.Error, "a frontend event handler failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(206, LogLevel.Debug, "stopping the device failed: {Error}")]
    public static partial void StopFailed(ILogger logger, string error);
}
