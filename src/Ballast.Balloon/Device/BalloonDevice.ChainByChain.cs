using Ballast.Virtio;
using Ballast.Virtio.Queue;

namespace Ballast.Balloon.Device;

public sealed partial class BalloonDevice
{
    /// <summary>
    /// Drains the stats queue or the reporting queue one chain at a time: each chain is handled
    /// (<see cref="TakeStats"/>, <see cref="TakeReport"/>) before the next is popped, and the head the handler gives back
    /// is returned to the driver at once. At most <paramref name="maxChains"/> chains per pass: a driver that keeps adding
    /// buffers gets <see cref="QueueProgress.MoreAvailable"/> (notifications left off), not the device lock for good.
    /// Returns whether the driver wants a used-buffer notification; the caller sends it once the lock is dropped.
    /// </summary>
    private bool ProcessChainByChain(DeviceQueue queue, BalloonQueueRole role, int maxChains, out QueueProgress progress)
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
                var done = role == BalloonQueueRole.Stats
                    ? TakeStats(result, chain, descriptors)
                    : TakeReport(result, chain, descriptors);
                if (done is { } head)
                {
                    queue.PushUsed(head, 0);
                    notify |= NeedsNotification(queue);
                }
            }
        }
        while (!queue.IsBroken && queue.EnableNotifications());
        progress = queue.IsBroken ? QueueProgress.Broken : QueueProgress.Idle;
        return notify;
    }
}
