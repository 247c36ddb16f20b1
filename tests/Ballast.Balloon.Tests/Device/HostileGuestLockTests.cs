using Ballast.Linux;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ballast.TestKit;
using Ballast.Balloon.Device;
using Ballast.Virtio;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// A guest (or front-end) must not be able to keep the device lock: a pass over a queue is bounded even while the
/// guest keeps publishing buffers, and used-buffer notifications are written after the lock is dropped, so an
/// eventfd whose write blocks stalls at most the thread that signals, never the device.
/// </summary>
public sealed partial class HostileGuestLockTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Every chain the device takes is published again at once (from the device's own observer hook, so the ring is
    /// never empty): a guest that adds one more queue's worth during each batch.
    /// </summary>
    private static void RepublishForever(DeviceRig rig, RingBuilder ring, StrongBox<bool> stop, StrongBox<long> seen)
    {
        rig.Device.Observer = (_, _, inflate) =>
        {
            if (!inflate || Volatile.Read(ref stop.Value))
                return;
            seen.Value++;
            var idx = ring.AvailIdx;
            ring.SetAvailEntry(idx % ring.Size, ring.GetAvailEntry((ushort)(idx - 1) % ring.Size));
            ring.AvailIdx = (ushort)(idx + 1);
        };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(100)]
    public void ProcessQueue_GuestPublishingForever_PassEndsWithinItsBudget(int budget)
    {
        using var rig = Pfn();
        var stop = new StrongBox<bool>();
        var seen = new StrongBox<long>();
        RepublishForever(rig, rig.Inflate, stop, seen);
        AddPfns(rig.Inflate, PfnOf(A));

        var progress = rig.Device.ProcessQueue(BalloonQueue.Inflate, budget);

        Assert.Equal(QueueProgress.MoreAvailable, progress);
        // Whole batches of one queue's worth (16 here): the budget rounded up to a batch.
        var batches = (budget + rig.Inflate.Size - 1) / rig.Inflate.Size;
        Assert.Equal(batches * rig.Inflate.Size, seen.Value);
        Assert.Equal(seen.Value, rig.Counters.Buffers);

        // Once the guest stops, the next passes drain what is left and the queue goes idle.
        stop.Value = true;
        while (rig.Device.ProcessQueue(BalloonQueue.Inflate, budget) == QueueProgress.MoreAvailable)
        {
        }
        Assert.Equal(rig.Inflate.AvailIdx, rig.Device.GetQueue(BalloonQueue.Inflate)!.NextAvail);
        rig.AssertReleased((A, 1));
    }

    [Fact]
    public async Task ProcessQueue_GuestPublishingForever_ApiStillGetsTheLock()
    {
        // The draining overload gives the lock up between passes: another thread's call gets in while the guest is
        // still publishing (the old loop held the lock until the ring was empty, i.e. for as long as the guest liked).
        using var rig = Pfn();
        var stop = new StrongBox<bool>();
        var seen = new StrongBox<long>();
        RepublishForever(rig, rig.Inflate, stop, seen);
        AddPfns(rig.Inflate, PfnOf(A));
        var device = Task.Factory.StartNew(() => rig.Device.ProcessQueue(BalloonQueue.Inflate), TaskCreationOptions.LongRunning);

        var api = Task.Factory.StartNew(() =>
        {
            while (Volatile.Read(ref seen.Value) == 0)
                Thread.Yield();
            var pages = rig.Device.BalloonedPages;   // takes the device lock
            var stillPublishing = !Volatile.Read(ref stop.Value);
            Volatile.Write(ref stop.Value, true);
            return (pages, stillPublishing);
        }, TaskCreationOptions.LongRunning);
        var finished = await Task.WhenAny(api, Task.Delay(s_bound)) == api;
        Volatile.Write(ref stop.Value, true);   // whatever happened, let the device finish
        Assert.True(await device.WaitAsync(s_bound), "the device did not finish once the guest stopped");

        Assert.True(finished, "an API call waited more than 10 s for the device lock");
        var (pages, stillPublishing) = await api;
        Assert.True(stillPublishing);
        Assert.Equal(1UL, pages);
    }

    [Fact]
    public void ProcessQueue_StatsBuffersForever_PassEndsWithinItsBudget()
    {
        using var rig = Pfn();
        var ring = rig.Stats!;
        for (var i = 0; i < ring.Size; i++)
            ring.AddChain(StatsEntries(ring, (0, (ulong)i)));

        Assert.Equal(QueueProgress.MoreAvailable, rig.Device.ProcessQueue(BalloonQueue.Stats, 4));
        Assert.Equal(4, rig.Counters.StatsUpdates);
        Assert.Equal(QueueProgress.Idle, rig.Device.ProcessQueue(BalloonQueue.Stats, 1000));
        Assert.Equal(ring.Size, rig.Counters.StatsUpdates);
    }

    [Fact]
    public async Task RequestStatistics_CallEventfdBlocks_DeviceLockIsNotHeld()
    {
        // A blocking eventfd whose counter is one below its maximum: a write of 1 blocks until someone reads it.
        var fd = eventfd(0, 0);
        Assert.True(fd >= 0, $"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        using var call = new EventFd(fd, owned: true);
        Preload(fd, 0xFFFF_FFFF_FFFF_FFFE);

        using var rig = Pfn();
        var ring = rig.Stats!;
        ring.AddChain(StatsEntries(ring, (0, 1)));
        rig.Device.GetQueue(BalloonQueue.Stats)!.Call = call;
        Assert.True(rig.Process(BalloonQueue.Stats));

        var usedBefore = ring.UsedIdx;
        var request = Task.Factory.StartNew(() => rig.Device.RequestStatistics(), TaskCreationOptions.LongRunning);
        Task<bool>? inflate = null;
        bool inflatedInTime;
        try
        {
            // The buffer is returned (used idx moves) just before the notification is written.
            var deadline = DateTime.UtcNow + s_bound;
            while (ring.UsedIdx == usedBefore && DateTime.UtcNow < deadline)
                Thread.Yield();
            Assert.NotEqual(usedBefore, ring.UsedIdx);

            // Whether the signal blocks (a blocking eventfd) or is skipped (made non-blocking), the device lock
            // must be free: inflate a page from another thread.
            AddPfns(rig.Inflate, PfnOf(B));
            inflate = Task.Factory.StartNew(() => rig.Process(BalloonQueue.Inflate), TaskCreationOptions.LongRunning);
            inflatedInTime = await Task.WhenAny(inflate, Task.Delay(s_bound)) == inflate;
        }
        finally
        {
            // Unblock a writer stuck in write(2), and let both threads finish before the rig's memory goes away.
            Drain(fd);
            await request.WaitAsync(s_bound);
            if (inflate is not null)
                await inflate.WaitAsync(s_bound);
        }
        Assert.True(inflatedInTime, "the device lock was held while the call eventfd was written");
        Assert.Equal(1UL, rig.Device.BalloonedPages);
        Assert.True(await request);
    }

    private static unsafe void Preload(int fd, ulong value)
    {
        Assert.Equal(sizeof(ulong), (int)write(fd, &value, sizeof(ulong)));
    }

    private static unsafe void Drain(int fd)
    {
        ulong value;
        _ = read(fd, &value, sizeof(ulong));
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, void* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint read(int fd, void* buf, nuint count);
}
