using Ballast.Balloon.Device;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Daemon;

/// <summary>
/// Asks the guest for fresh statistics every <see cref="IntervalSeconds"/> seconds by returning the stats buffer
/// the device holds (<see cref="BalloonDevice.RequestStatistics"/>, VIRTIO 1.2 §5.5.6.3): QEMU's
/// <c>guest-stats-polling-interval</c>. 0 means off. The interval can change at any time (PUT /balloon/statistics).
/// </summary>
public sealed class StatisticsPoller : IDisposable
{
    /// <summary>Longest interval accepted: one day.</summary>
    public const int MaxIntervalSeconds = 86_400;

    private readonly BalloonDevice _device;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private int _intervalSeconds;
    private long _requests;

    /// <summary>A poller for <paramref name="device"/>, started with <paramref name="intervalSeconds"/> (0 = off).</summary>
    public StatisticsPoller(BalloonDevice device, int intervalSeconds, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _logger = logger ?? NullLogger.Instance;
        _timer = (timeProvider ?? TimeProvider.System).CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        SetInterval(intervalSeconds);
    }

    /// <summary>Seconds between requests; 0 = off.</summary>
    public int IntervalSeconds => Volatile.Read(ref _intervalSeconds);

    /// <summary>Requests that reached the guest (the device held a buffer to return).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>True if <paramref name="seconds"/> is an interval <see cref="SetInterval"/> takes.</summary>
    public static bool IsValidInterval(long seconds) => seconds is >= 0 and <= MaxIntervalSeconds;

    /// <summary>Polls every <paramref name="seconds"/> from now on (the first request after one interval); 0 stops.</summary>
    public void SetInterval(int seconds)
    {
        if (!IsValidInterval(seconds))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, $"the statistics interval must be 0 (off) to {MaxIntervalSeconds} seconds");
        lock (_lock)
        {
            Volatile.Write(ref _intervalSeconds, seconds);
            var period = seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
            _timer.Change(period, period);
        }
        DaemonLog.PollingInterval(_logger, seconds, seconds == 0 ? " (off)" : "");
        IntervalChanged?.Invoke(seconds);
    }

    /// <summary>Raised after <see cref="SetInterval"/> with the new interval.</summary>
    public event Action<int>? IntervalChanged;

    private void Tick()
    {
        try
        {
            if (_device.RequestStatistics())
            {
                Interlocked.Increment(ref _requests);
                DaemonLog.StatisticsRequested(_logger);
            }
            else
            {
                DaemonLog.NoStatisticsRequest(_logger);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A timer callback must not take the daemon down.
            DaemonLog.StatisticsRequestFailed(_logger, ex);
        }
    }

    /// <summary>Stops polling.</summary>
    public void Dispose() => _timer.Dispose();
}
