using Ballast.Virtio.Memory;

namespace Ballast.Balloon.Device;

/// <summary>
/// Releases host ranges off the device thread, in the order they were queued, so that the device can return
/// inflate buffers while the kernel is still freeing the memory behind them (see
/// <see cref="BalloonDeviceOptions.DeferRelease"/>). A thread-pool work item drains the queue and ends when it is
/// empty; nothing runs while there is nothing to release.
/// </summary>
/// <remarks>
/// <see cref="WaitIdle"/> is the ordering point: the device calls it before it acknowledges a deflate, before a
/// reset, before a queue is detached and before guest memory is replaced, so a release never lands on a page
/// the guest may use again, and never on a mapping that is gone.
/// </remarks>
internal sealed class ReleaseWorker
{
    private readonly object _gate = new();
    private readonly Queue<HostRange> _queue = new();
    private readonly Action<HostRange> _release;
    private readonly Action? _drained;
    private bool _running;
    private long _pendingBytes;

    /// <param name="release">Releases one range; must not throw (the device's release logs and counts failures).</param>
    /// <param name="drained">Called on the worker's thread, outside its lock, each time the queue has run empty.</param>
    public ReleaseWorker(Action<HostRange> release, Action? drained = null)
    {
        _release = release;
        _drained = drained;
    }

    /// <summary>Bytes queued or being released right now.</summary>
    public long PendingBytes => Volatile.Read(ref _pendingBytes);

    /// <summary>Queues <paramref name="range"/>; starts a drain if none runs.</summary>
    public void Enqueue(in HostRange range)
    {
        lock (_gate)
        {
            _queue.Enqueue(range);
            Volatile.Write(ref _pendingBytes, _pendingBytes + (long)range.Length);
            if (_running)
                return;
            _running = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static worker => worker.Drain(), this, preferLocal: false);
    }

    /// <summary>Blocks until every queued range has been released.</summary>
    public void WaitIdle()
    {
        lock (_gate)
        {
            while (_running)
                Monitor.Wait(_gate);
        }
    }

    private void Drain()
    {
        while (true)
        {
            HostRange range;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out range))
                {
                    _running = false;
                    Monitor.PulseAll(_gate);
                    break;
                }
            }
            try
            {
                _release(range);
            }
            finally
            {
                lock (_gate)
                    Volatile.Write(ref _pendingBytes, _pendingBytes - (long)range.Length);
            }
        }
        _drained?.Invoke();
    }
}
