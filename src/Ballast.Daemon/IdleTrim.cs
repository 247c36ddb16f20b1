using Ballast.Linux;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// Gives back what start-up and set-up left resident once the daemon is quiet: a full, compacting GC that returns the
/// heap's free space (<see cref="GCCollectionMode.Aggressive"/>), then the program's file pages it may not need again
/// (<see cref="StartupPages"/>). Issue #15's footprint goal: most of an idle daemon's RSS was start-up's (the NativeAOT
/// image's code and type data, the heap built while parsing and starting).
/// </summary>
/// <remarks>
/// <see cref="Request"/> (any thread) runs it <see cref="Delay"/> after the last request, on the thread pool: the
/// worker asks once it serves and once a guest's driver is ready, so a burst of set-up work ends before it runs.
/// <see cref="RunNow"/> runs it on the calling thread (the supervisor, which has no thread pool to spare).
/// </remarks>
public sealed class IdleTrim : IDisposable
{
    /// <summary>How long after the last <see cref="Request"/> the trim runs.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger;
    private readonly Timer _timer;

    /// <param name="logger">Where each trim is logged (debug).</param>
    public IdleTrim(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _timer = new Timer(_ => RunNow(_logger), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Runs the trim <see cref="Delay"/> from now (a later request moves it).</summary>
    public void Request() => _timer.Change(Delay, Timeout.InfiniteTimeSpan);

    /// <summary>Trims now, on this thread; returns the KiB of file pages released.</summary>
    public static long RunNow(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        // The collection first: it runs code and reads unwind data of its own, which the release then gives back too.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var heap = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var released = StartupPages.Release();
        DaemonLog.Trimmed(logger, released, heap / 1024);
        return released;
    }

    /// <summary>Cancels a pending trim.</summary>
    public void Dispose() => _timer.Dispose();
}
