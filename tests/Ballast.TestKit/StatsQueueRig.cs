using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.TestKit;

/// <summary>
/// Plays the guest driver's side of the stats queue (VIRTIO 1.2 §5.5.6.3) against a real device: a 2 MiB guest,
/// one split ring on queue 2, a buffer of 10-byte entries the device parses when kicked.
/// </summary>
internal sealed class StatsQueueRig : IDisposable
{
    private const int QueueSize = 8;
    private const ulong Ring = 0x10000;
    private const ulong Buffer = 0x20000;

    private readonly BalloonDevice _device;
    private readonly DriverQueue _driver;

    public StatsQueueRig(BalloonDevice device)
    {
        _device = device;
        Memory = GuestMemory.CreateMemfd(2UL << 20, "ballast-cli-test");
        device.Memory = Memory;
        var avail = Ring + SplitRing.DescriptorTableBytes(QueueSize);
        var used = (avail + SplitRing.AvailableRingBytes(QueueSize) + 15) & ~15UL;
        var addresses = new RingAddresses(Ring, avail, used);
        _driver = new DriverQueue(Memory, QueueSize, addresses, features: 0);
        device.AttachQueue(BalloonQueue.Stats, new DeviceQueue(Memory, QueueSize, addresses, features: 0));
    }

    public GuestMemory Memory { get; }

    /// <summary>Queues one stats buffer with <paramref name="entries"/> and lets the device take it.</summary>
    public void Send(params (StatTag Tag, ulong Value)[] entries)
    {
        var bytes = Memory.GetSpan(Buffer, entries.Length * BalloonStatistics.EntrySize);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = bytes.Slice(i * BalloonStatistics.EntrySize, BalloonStatistics.EntrySize);
            BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)entries[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[2..], entries[i].Value);
        }
        Assert.True(_driver.TryAdd([new BufferSegment(Buffer, (uint)bytes.Length, DeviceWritable: false)]) >= 0);
        Assert.True(_device.ProcessQueue(BalloonQueue.Stats));
    }

    /// <summary>True if the device gave a buffer back (asked for fresh statistics) since the last call.</summary>
    public bool TakeReturned() => _driver.TryGetUsed(out _, out _);

    public void Dispose()
    {
        _device.AttachQueue(BalloonQueue.Stats, null);
        _device.Memory = null;
        Memory.Dispose();
    }
}
