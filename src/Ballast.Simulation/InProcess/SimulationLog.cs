using Microsoft.Extensions.Logging;

namespace Ballast.Simulation.InProcess;

/// <summary>The simulation's structured log messages (source-generated; event ids 500–599: 500–509 the in-process device loop).</summary>
internal static partial class SimulationLog
{
    [LoggerMessage(500, LogLevel.Error, "device queue {Queue} processing failed")]
    public static partial void QueueProcessingFailed(ILogger logger, int queue, Exception exception);
}
