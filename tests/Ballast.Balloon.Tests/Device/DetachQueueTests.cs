using Ballast.Balloon.Device;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Stopping a queue (vhost-user GET_VRING_BASE) while the statistics poller returns the held stats buffer from
/// another thread: where the ring resumes is read and the queue detached in one step under the device lock, so
/// the buffer is either returned (and not wound back over) or handed out again after the restart — never both.
/// </summary>
public sealed class DetachQueueTests
{
    [Fact]
    public void DetachQueue_WithAHeldStatsBuffer_WindsBackOverIt()
    {
        using var rig = Pfn();
        rig.Stats!.AddChain(StatsEntries(rig.Stats, (0, 1)));
        Assert.True(rig.Process(BalloonQueue.Stats));

        Assert.Equal((ushort)0, rig.Device.DetachQueue(BalloonQueue.Stats));
        Assert.Null(rig.Device.GetQueue(BalloonQueue.Stats));
        Assert.False(rig.Device.RequestStatistics());   // nothing held any more
        Assert.Null(rig.Device.DetachQueue(BalloonQueue.Stats));
    }

    [Fact]
    public void DetachQueue_AfterTheBufferWasReturned_ResumesPastIt()
    {
        using var rig = Pfn();
        rig.Stats!.AddChain(StatsEntries(rig.Stats, (0, 1)));
        Assert.True(rig.Process(BalloonQueue.Stats));
        Assert.True(rig.Device.RequestStatistics());

        Assert.Equal((ushort)1, rig.Device.DetachQueue(BalloonQueue.Stats));
    }

    [Fact]
    public async Task StopAndRestart_WhileStatisticsAreRequested_NoBufferIsReturnedTwice()
    {
        using var rig = Pfn();
        var ring = rig.Stats!;
        var head = ring.AddChain(StatsEntries(ring, (0, 1)));
        Assert.True(rig.Process(BalloonQueue.Stats));
        long published = 1, returned = 0;
        var stop = 0;
        var poller = Task.Factory.StartNew(() =>
        {
            while (Volatile.Read(ref stop) == 0)
                rig.Device.RequestStatistics();
        }, TaskCreationOptions.LongRunning);
        try
        {
            for (var i = 0; i < 5_000; i++)
            {
                var queue = rig.Device.GetQueue(BalloonQueue.Stats)!;
                var resume = rig.Device.DetachQueue(BalloonQueue.Stats)!.Value;
                // Wound back over exactly the buffers the stopped queue still held once it was detached: one
                // returned meanwhile by the poller must not be handed out again by the restarted queue.
                Assert.Equal((ushort)(queue.NextAvail - queue.NextUsed), (ushort)(queue.NextAvail - resume));
                // The driver: every buffer that came back is refilled and offered again.
                while (ring.TryTakeUsed(out var used))
                {
                    Assert.Equal(head, used.Id);
                    returned++;
                    Assert.True(returned <= published, $"iteration {i}: the buffer came back {returned} times but was offered {published} times");
                    ring.Publish(head);
                    published++;
                }
                rig.Device.AttachQueue(BalloonQueue.Stats, ring.CreateDevice(nextAvail: resume));
                Assert.True(rig.Process(BalloonQueue.Stats));
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await poller.WaitAsync(TimeSpan.FromSeconds(30));
        }
        while (ring.TryTakeUsed(out _))
            returned++;
        // Exactly one buffer is outstanding: held by the device, or returned and not yet taken.
        Assert.InRange(published - returned, 0, 1);
        Assert.Equal(0, rig.Counters.TotalErrors);
    }
}
