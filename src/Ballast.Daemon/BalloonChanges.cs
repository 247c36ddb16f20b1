using Ballast.Balloon.Device;

namespace Ballast.Daemon;

/// <summary>
/// The balloon's changes as one counter that long-polls (<c>GET /balloon?wait=S</c>) wait on: bumped by the device's
/// own events — a new target (<see cref="BalloonDevice.ConfigChanged"/>), <c>actual</c> written by the driver or a
/// reset (<see cref="BalloonDevice.ActualChanged"/>), the deferred releases done
/// (<see cref="BalloonDevice.ReleasesDrained"/>) — and never by a timer. The API sends it as the weak ETag of
/// <c>GET /balloon</c>.
/// </summary>
/// <remarks>
/// Threading: <see cref="Bump"/> runs on whichever thread raised the event (the vhost-user event loop, the release
/// thread, a request); it never blocks and completes waiters asynchronously, so no waiter's continuation runs on the
/// event loop. Other fields of the balloon (report counters, ballooned bytes) change without a bump.
/// </remarks>
internal sealed class BalloonChanges : IDisposable
{
    private readonly BalloonDevice _device;
    private readonly Lock _lock = new();
    private long _version;
    private TaskCompletionSource _next = NewSignal();

    /// <summary>Counts <paramref name="device"/>'s events from now on.</summary>
    public BalloonChanges(BalloonDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        device.ConfigChanged += Bump;
        device.ActualChanged += Bump;
        device.ReleasesDrained += Bump;
    }

    /// <summary>How many events there have been.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>Raised when a wait has found no change yet and starts waiting (a test hook: the wait is parked).</summary>
    internal event Action? Waiting;

    /// <summary>One more event: wakes every waiter.</summary>
    public void Bump()
    {
        TaskCompletionSource woken;
        lock (_lock)
        {
            _version++;
            woken = _next;
            _next = NewSignal();
        }
        woken.TrySetResult();
    }

    /// <summary>
    /// Completes with true once <see cref="Version"/> differs from <paramref name="seen"/> (at once if it already does),
    /// or with false after <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<bool> WaitForChangeAsync(long seen, TimeSpan timeout, CancellationToken ct)
    {
        Task signal;
        lock (_lock)
        {
            if (_version != seen)
                return true;
            signal = _next.Task;
        }
        Waiting?.Invoke();
        try
        {
            await signal.WaitAsync(timeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return Version != seen;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _device.ConfigChanged -= Bump;
        _device.ActualChanged -= Bump;
        _device.ReleasesDrained -= Bump;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
