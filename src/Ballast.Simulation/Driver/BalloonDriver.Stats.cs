using Ballast.Linux;
using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Virtio.Queue;

namespace Ballast.Simulation.Driver;

public sealed partial class BalloonDriver
{
    private ulong _statsGpa;

    /// <summary>
    /// The stats queue as Linux does it (VIRTIO 1.2 §5.5.6.3): one buffer of 10-byte entries is queued before
    /// DRIVER_OK; each time the device returns it, the driver refills it and queues it again. Here a small thread
    /// plays the kernel's stats work item.
    /// </summary>
    private void StartStats()
    {
        _stats = SetupQueue(BalloonQueue.Stats, out var call);
        _statsGpa = _guest.AllocKernelPages(0) << PageShift;
        _statsStop = new EventFd();
        QueueStats();
        var stop = _statsStop;
        var queue = _stats;
        _statsThread = new Thread(() =>
        {
            EventFd[] fds = [stop, call];
            while (EventFd.WaitAny(fds) != 0)
            {
                call.TryConsume();
                var returned = false;
                while (queue.TryGetUsed(out _, out _))
                    returned = true;
                if (returned)
                    QueueStats();
            }
        })
        { IsBackground = true, Name = "ballast-guest-stats" };
        _statsThread.Start();
    }

    /// <summary>update_balloon_stats + queue the buffer: the ten tags Linux 6.1 sends.</summary>
    private void QueueStats()
    {
        var allocator = _guest.Allocator;
        Span<(StatTag Tag, ulong Value)> stats =
        [
            (StatTag.SwapIn, 0), (StatTag.SwapOut, 0), (StatTag.MajorFaults, 0), (StatTag.MinorFaults, 0),
            (StatTag.FreeMemory, allocator.FreeFrames << PageShift),
            (StatTag.TotalMemory, (allocator.TotalFrames - (ulong)_count) << PageShift),
            (StatTag.AvailableMemory, allocator.FreeFrames << PageShift),
            (StatTag.DiskCaches, 0), (StatTag.HugetlbAllocations, 0), (StatTag.HugetlbFailures, 0),
        ];
        var buffer = _guest.Memory.GetSpan(_statsGpa, stats.Length * BalloonStatistics.EntrySize);
        for (var i = 0; i < stats.Length; i++)
        {
            var entry = buffer.Slice(i * BalloonStatistics.EntrySize, BalloonStatistics.EntrySize);
            BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)stats[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[2..], stats[i].Value);
        }
        _stats!.TryAdd([new BufferSegment(_statsGpa, (uint)buffer.Length, DeviceWritable: false)]);
        _stats.KickIfNeeded();
    }
}
