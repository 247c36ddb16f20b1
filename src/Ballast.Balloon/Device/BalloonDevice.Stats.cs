using Ballast.Linux;
using Ballast.Virtio.Queue;

namespace Ballast.Balloon.Device;

public sealed partial class BalloonDevice
{
    /// <summary>Largest stats buffer accepted; 16 known tags need 160 bytes (Firecracker bounds it too, #5794).</summary>
    public const int MaxStatsBytes = 4096;

    private readonly byte[] _statsScratch = new byte[MaxStatsBytes];

    /// <summary>
    /// A chain taken from the stats queue, VIRTIO 1.2 §5.5.6.3: the driver offers one buffer of 10-byte entries; the
    /// device keeps it until it wants fresh numbers, then returns it (<see cref="RequestStatistics"/>) and the driver
    /// refills and re-adds it. A newer buffer replaces a held one, which is returned (so is a rejected chain). Returns
    /// the head to return now, or null. Driven by <see cref="ProcessChainByChain"/>.
    /// </summary>
    private ushort? TakeStats(PopResult result, in Chain chain, ReadOnlySpan<Descriptor> descriptors)
    {
        if (result == PopResult.BadChain)
        {
            if (GuestError(BalloonError.BadChain, out var nth))
                BalloonLog.BadStatsChain(_logger, BalloonError.BadChain, nth, chain.Head, chain.Error);
            return chain.Head;
        }
        ParseStats(descriptors[..chain.Count]);
        var old = _heldStats;
        _heldStats = chain.Head;
        return old;
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
            var queue = StatsIndex >= 0 ? _queues[StatsIndex] : null;
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
