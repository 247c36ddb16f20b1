using Ballast.Linux;
using Ballast.Virtio;
using Ballast.Virtio.Queue;

namespace Ballast.Balloon.Device;

public sealed partial class BalloonDevice
{
    /// <summary>Largest stats buffer accepted; 16 known tags need 160 bytes (Firecracker bounds it too, #5794).</summary>
    public const int MaxStatsBytes = 4096;

    private readonly byte[] _statsScratch = new byte[MaxStatsBytes];

    /// <summary>
    /// The stats queue, VIRTIO 1.2 §5.5.6.3: the driver offers one buffer of 10-byte entries; the device keeps
    /// it until it wants fresh numbers, then returns it (<see cref="RequestStatistics"/>) and the driver refills
    /// and re-adds it. A newer buffer replaces a held one (which is returned). At most
    /// <paramref name="maxChains"/> chains per pass: a driver that keeps adding buffers gets
    /// <see cref="QueueProgress.MoreAvailable"/>, not the device lock for good. Returns whether the driver wants a
    /// used-buffer notification; the caller sends it once the lock is dropped.
    /// </summary>
    private bool ProcessStats(DeviceQueue queue, int maxChains, out QueueProgress progress)
    {
        var descriptors = _descriptors.AsSpan(0, queue.Size);
        var notify = false;
        var taken = 0;
        do
        {
            queue.DisableNotifications();
            while (true)
            {
                if (taken >= maxChains && queue.HasAvailable())
                {
                    progress = QueueProgress.MoreAvailable;
                    return notify;
                }
                var result = queue.TryPop(descriptors, out var chain);
                if (result is PopResult.Empty or PopResult.Broken)
                    break;
                taken++;
                if (result == PopResult.BadChain)
                {
                    if (GuestError(BalloonError.BadChain, out var nth))
                        BalloonLog.BadStatsChain(_logger, BalloonError.BadChain, nth, chain.Head, chain.Error);
                    queue.PushUsed(chain.Head, 0);
                    notify |= NeedsNotification(queue);
                    continue;
                }
                ParseStats(descriptors[..chain.Count]);
                if (_heldStats is { } old)
                {
                    queue.PushUsed(old, 0);
                    notify |= NeedsNotification(queue);
                }
                _heldStats = chain.Head;
            }
        }
        while (!queue.IsBroken && queue.EnableNotifications());
        progress = queue.IsBroken ? QueueProgress.Broken : QueueProgress.Idle;
        return notify;
    }

    private unsafe void ParseStats(ReadOnlySpan<Descriptor> descriptors)
    {
        var total = 0;
        var bad = false;
        foreach (var d in descriptors)
        {
            if (d.IsWriteOnly || total + (long)d.Length > MaxStatsBytes || !_memory!.TryGetHostAddress(d.Address, d.Length, out var host))
            {
                bad = true;
                break;
            }
            new ReadOnlySpan<byte>((void*)host, (int)d.Length).CopyTo(_statsScratch.AsSpan(total));
            total += (int)d.Length;
        }
        if (bad || total < BalloonStatistics.EntrySize || total % BalloonStatistics.EntrySize != 0)
        {
            if (GuestError(BalloonError.BadStatsBuffer, out var nth))
                BalloonLog.BadStatsBuffer(_logger, BalloonError.BadStatsBuffer, nth, total, MaxStatsBytes);
            if (bad || total < BalloonStatistics.EntrySize)
                return;
        }
        Statistics = BalloonStatistics.Parse(_statsScratch.AsSpan(0, total), DateTimeOffset.UtcNow);
        Counters.StatsUpdates++;
    }

    /// <summary>
    /// Returns the held stats buffer so the guest sends fresh statistics. Returns false if the guest has not
    /// offered one (no stats queue, or the previous request is still being answered). The notification is sent
    /// after the device lock is dropped (from the calling thread).
    /// </summary>
    public bool RequestStatistics()
    {
        EventFd? call;
        lock (_lock)
        {
            var queue = QueueCount > BalloonQueue.Stats ? _queues[BalloonQueue.Stats] : null;
            if (queue is null || _heldStats is not { } head)
                return false;
            _heldStats = null;
            queue.PushUsed(head, 0);
            call = NeedsNotification(queue) ? queue.Call : null;
        }
        Notify(call);
        return true;
    }

    private bool NeedsNotification(DeviceQueue queue)
    {
        if (!queue.NeedsNotification())
            return false;
        Counters.Interrupts++;
        return true;
    }
}
