using Ballast.Linux;
using Ballast.TestKit;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// A device thread and a driver thread on one ring, each sleeping in its eventfd (kick, call) whenever the other
/// side has nothing for it: every buffer makes the round trip and no wake-up is lost.
/// </summary>
public sealed class QueueThreadingTests
{
    /// <summary>No single wait may take this long: the other side is always busy or about to signal.</summary>
    private const int LostWakeUpMs = 5000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DeviceAndDriverThreads_PassManyBuffersWithoutLosingAWakeUp(bool eventIdx)
    {
        const int total = 20_000;
        const int size = 16;
        using var ring = new RingBuilder(size, eventIdx ? VirtioFeatures.Bit(VirtioFeatures.EventIdx) : 0);
        using var kick = new EventFd();
        using var call = new EventFd();
        var driver = ring.CreateDriver();
        driver.Kick = kick;
        var device = ring.CreateDevice();
        device.Call = call;
        var buffers = Enumerable.Range(0, size).Select(_ => ring.Writable(8)).ToArray();
        var stop = false;

        var deviceThread = Task.Factory.StartNew(() =>
        {
            // vhost's loop: drain with kicks off, re-enable, re-check, sleep.
            var descriptors = new Descriptor[size];
            long served = 0;
            while (!Volatile.Read(ref stop))
            {
                device.DisableNotifications();
                while (device.TryPop(descriptors, out var chain) == PopResult.Chain)
                {
                    var value = BitConverter.GetBytes(served++);
                    value.CopyTo(device.Memory.GetSpan(descriptors[0].Address, 8));
                    device.PushUsed(chain.Head, 8);
                    device.NotifyIfNeeded();
                }
                Assert.False(device.IsBroken);
                if (device.EnableNotifications())
                    continue;
                if (!Volatile.Read(ref stop) && kick.Wait(LostWakeUpMs) == 0)
                    throw new TimeoutException($"device slept {LostWakeUpMs} ms with {served} served: lost kick");
            }
            return served;
        }, TaskCreationOptions.LongRunning);

        var driverThread = Task.Factory.StartNew(() =>
        {
            var headBuffer = new Dictionary<int, BufferSegment>();
            var free = new Stack<BufferSegment>(buffers);
            long added = 0, collected = 0;
            while (collected < total)
            {
                while (added < total && free.Count > 0)
                {
                    var b = free.Pop();
                    var head = driver.TryAdd([b]);
                    Assert.True(head >= 0);
                    headBuffer[head] = b;
                    added++;
                }
                driver.KickIfNeeded();

                var got = false;
                while (driver.TryGetUsed(out var head, out var written))
                {
                    var b = headBuffer[head];
                    Assert.Equal(8U, written);
                    Assert.Equal(collected, BitConverter.ToInt64(ring.Memory.GetSpan(b.Address, 8)));
                    free.Push(b);
                    collected++;
                    got = true;
                }
                if (got || collected == total)
                    continue;
                // used_event was written by TryGetUsed; publish it before the last look (store → load).
                Interlocked.MemoryBarrier();
                if (driver.HasUsed())
                    continue;
                if (call.Wait(LostWakeUpMs) == 0)
                    throw new TimeoutException($"driver slept {LostWakeUpMs} ms with {collected} collected: lost call");
            }
            return (driver.Kicks, collected);
        }, TaskCreationOptions.LongRunning);

        (long Kicks, long Collected) result;
        try
        {
            result = await driverThread.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            Volatile.Write(ref stop, true);
            kick.Signal();
        }
        var served = await deviceThread.WaitAsync(TimeSpan.FromSeconds(10));
        var (kicks, collectedTotal) = result;

        Assert.Equal(total, collectedTotal);
        Assert.Equal(total, served);
        Assert.Equal(total, device.Popped);
        Assert.Equal(size, driver.NumFree);
        Assert.InRange(kicks, 1, total);
        Assert.InRange(device.Notifications, 1, total);
    }
}
