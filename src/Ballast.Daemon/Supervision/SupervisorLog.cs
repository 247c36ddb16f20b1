using Microsoft.Extensions.Logging;

namespace Ballast.Daemon.Supervision;

/// <summary>The supervisor's log lines (event ids 600–619).</summary>
internal static partial class SupervisorLog
{
    [LoggerMessage(600, LogLevel.Information, "supervisor: worker {Pid} started with {Kept} kept descriptor(s)")]
    public static partial void WorkerStarted(ILogger logger, int pid, int kept);

    [LoggerMessage(601, LogLevel.Information, "supervisor: worker {Pid} serves ({Kept} descriptor(s) kept)")]
    public static partial void WorkerServing(ILogger logger, string pid, int kept);

    [LoggerMessage(602, LogLevel.Warning, "supervisor: worker {Pid} died ({How}); {Kept} descriptor(s) kept, QEMU's connection stays open; restarting in {DelayMs} ms")]
    public static partial void WorkerDied(ILogger logger, int pid, string how, int kept, double delayMs);

    [LoggerMessage(603, LogLevel.Warning, "supervisor: ignored a malformed control message: {Text}")]
    public static partial void BadMessage(ILogger logger, string text);

    [LoggerMessage(604, LogLevel.Error, "supervisor: could not hand the kept descriptors to worker {Pid}: {Error}")]
    public static partial void HandBackFailed(ILogger logger, int pid, string error);

    [LoggerMessage(605, LogLevel.Warning, "supervisor: no take-over socket at {Path}: {Error}; 'serve --take-over' cannot replace this daemon")]
    public static partial void TakeOverUnavailable(ILogger logger, string path, string error);

    [LoggerMessage(606, LogLevel.Warning, "supervisor: refused a take-over request from pid {Pid} uid {Uid}")]
    public static partial void TakeOverRefused(ILogger logger, int pid, uint uid);

    [LoggerMessage(607, LogLevel.Information, "supervisor: pid {Pid} takes over; asking worker {Worker} to hand over")]
    public static partial void TakeOverRequested(ILogger logger, int pid, int worker);

    [LoggerMessage(608, LogLevel.Information, "supervisor: handed {Kept} descriptor(s) to the new version (worker exit status {ExitCode}); exiting")]
    public static partial void HandedOver(ILogger logger, int kept, int exitCode);

    [LoggerMessage(609, LogLevel.Error, "supervisor: the handover failed: {Error}")]
    public static partial void HandOverFailed(ILogger logger, string error);

    [LoggerMessage(610, LogLevel.Information, "supervisor: took over {Kept} descriptor(s) from the running daemon")]
    public static partial void TookOver(ILogger logger, int kept);

    [LoggerMessage(611, LogLevel.Information, "supervisor: the service manager handed back {Count} kept descriptor(s) ({Names}): the worker resumes from them")]
    public static partial void FromSystemd(ILogger logger, int count, string names);

    [LoggerMessage(612, LogLevel.Information, "supervisor: taking over the daemon on {Path}; new worker {Pid} started ahead")]
    public static partial void TakingOver(ILogger logger, string path, int pid);
}
