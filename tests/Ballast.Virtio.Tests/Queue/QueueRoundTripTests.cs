using Ballast.TestKit;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// <see cref="DriverQueue"/> ↔ <see cref="DeviceQueue"/> on one guest memory: what the driver offers is what the
/// device pops, what the device returns is what the driver collects, descriptors are recycled, and the 16-bit
/// indexes wrap.
/// </summary>
public sealed class QueueRoundTripTests
{
    private static ulong Features(bool eventIdx) => eventIdx ? VirtioFeatures.Bit(VirtioFeatures.EventIdx) : 0;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTrip_MultiSegmentChainInBothDirections(bool eventIdx)
    {
        using var ring = new RingBuilder(16, Features(eventIdx));
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        BufferSegment[] segments = [ring.Readable(100, 0xa1), ring.Readable(200, 0xb2), ring.Writable(300), ring.Writable(50)];

        var head = driver.TryAdd(segments);

        Assert.InRange(head, 0, 15);
        Assert.Equal(12, driver.NumFree);
        var descriptors = new Descriptor[16];
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));
        Assert.Equal(new Chain((ushort)head, 4, ChainError.None), chain);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(segments[i].Address, descriptors[i].Address);
            Assert.Equal(segments[i].Length, descriptors[i].Length);
            Assert.Equal(segments[i].DeviceWritable, descriptors[i].IsWriteOnly);
            Assert.Equal(i < 3, descriptors[i].HasNext);
        }

        // The device reads the "out" buffers and writes the "in" buffers through guest memory.
        Assert.True(device.Memory.GetSpan(descriptors[0].Address, 100).IndexOfAnyExcept((byte)0xa1) < 0);
        Assert.True(device.Memory.GetSpan(descriptors[1].Address, 200).IndexOfAnyExcept((byte)0xb2) < 0);
        device.Memory.GetSpan(descriptors[2].Address, 300).Fill(0xc3);
        device.Memory.GetSpan(descriptors[3].Address, 50).Fill(0xd4);
        device.PushUsed(chain.Head, 350);

        Assert.True(driver.HasUsed());
        Assert.True(driver.TryGetUsed(out var usedHead, out var written));
        Assert.Equal((ushort)head, usedHead);
        Assert.Equal(350U, written);
        Assert.True(ring.Bytes(segments[2].Address, 300).IndexOfAnyExcept((byte)0xc3) < 0);
        Assert.True(ring.Bytes(segments[3].Address, 50).IndexOfAnyExcept((byte)0xd4) < 0);
        Assert.Equal(16, driver.NumFree);
        Assert.False(driver.TryGetUsed(out _, out _));
        Assert.False(driver.HasUsed());
    }

    [Fact]
    public void RoundTrip_BuffersMayComeBackInAnyOrder()
    {
        using var ring = new RingBuilder(8);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        var heads = new[]
        {
            driver.TryAdd([ring.Readable(8, 1)]),
            driver.TryAdd([ring.Readable(8, 2), ring.Writable(8)]),
            driver.TryAdd([ring.Writable(8), ring.Writable(8), ring.Writable(8)]),
        };
        Assert.Equal(2, driver.NumFree);
        var descriptors = new Descriptor[8];
        var popped = new List<Chain>();
        while (device.TryPop(descriptors, out var chain) == PopResult.Chain)
            popped.Add(chain);
        Assert.Equal(heads.Select(h => (ushort)h), popped.Select(c => c.Head));
        Assert.Equal([1, 2, 3], popped.Select(c => c.Count));

        device.PushUsed(popped[2].Head, 24);
        device.PushUsed(popped[0].Head, 0);
        Assert.True(driver.TryGetUsed(out var h1, out var w1));
        Assert.Equal(((ushort)heads[2], 24U, 5), (h1, w1, driver.NumFree));
        Assert.True(driver.TryGetUsed(out var h2, out _));
        Assert.Equal(((ushort)heads[0], 6), (h2, driver.NumFree));

        // The freed descriptors are reused: a 6-descriptor chain now fits.
        var big = driver.TryAdd([.. Enumerable.Range(0, 6).Select(_ => ring.Readable(8))]);
        Assert.True(big >= 0);
        Assert.Equal(0, driver.NumFree);
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var bigChain));
        Assert.Equal(new Chain((ushort)big, 6, ChainError.None), bigChain);
    }

    [Fact]
    public void NumFree_CountsDescriptorsNotBuffers()
    {
        using var ring = new RingBuilder(8);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        Assert.Equal((8, 0), (driver.NumFree, driver.InFlight));

        var a = driver.TryAdd([ring.Readable(8), ring.Readable(8), ring.Readable(8)]);
        var b = driver.TryAdd([ring.Readable(8), ring.Readable(8), ring.Readable(8)]);
        var c = driver.TryAdd([ring.Readable(8), ring.Readable(8)]);
        Assert.Equal((0, 8), (driver.NumFree, driver.InFlight));

        Assert.Equal(-1, driver.TryAdd([ring.Readable(8)]));
        Assert.Equal(3, ring.AvailIdx); // a refused buffer is not published
        Assert.Throws<ArgumentException>(() => driver.TryAdd([]));

        var descriptors = new Descriptor[8];
        for (var i = 0; i < 3; i++)
            Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out _));
        device.PushUsed((ushort)b, 0);
        Assert.True(driver.TryGetUsed(out var done, out _));
        Assert.Equal((ushort)b, done);
        Assert.Equal((3, 5), (driver.NumFree, driver.InFlight));

        Assert.Equal(-1, driver.TryAdd([.. Enumerable.Range(0, 4).Select(_ => ring.Readable(8))]));
        Assert.True(driver.TryAdd([ring.Readable(8), ring.Readable(8), ring.Readable(8)]) >= 0);
        Assert.Equal(0, driver.NumFree);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 4)]
    [InlineData(true, 4)]
    [InlineData(true, 16)]
    public void RoundTrip_WrapsThe16BitIndexes(bool eventIdx, int size)
    {
        // §2.7.13.3: "idx always increments, and wraps naturally at 65536".
        const int total = 70_000;
        using var ring = new RingBuilder(size, Features(eventIdx));
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        var segments = new[] { ring.Readable(64, 7), ring.Writable(64) };
        var descriptors = new Descriptor[size];
        var offered = new Queue<(int Head, int Segments)>();
        int added = 0, collected = 0;

        while (collected < total)
        {
            // Fill the queue, alternating 1- and 2-descriptor buffers.
            while (added < total)
            {
                var n = size == 1 ? 1 : 1 + (added & 1);
                var head = driver.TryAdd(segments.AsSpan(0, n));
                if (head < 0)
                    break;
                offered.Enqueue((head, n));
                added++;
            }
            driver.KickIfNeeded();

            // Drain it on the device side.
            while (device.TryPop(descriptors, out var chain) == PopResult.Chain)
            {
                var (expectedHead, expectedCount) = offered.Dequeue();
                Assert.Equal(new Chain((ushort)expectedHead, expectedCount, ChainError.None), chain);
                device.PushUsed(chain.Head, (uint)(expectedCount - 1) * 64);
            }
            device.NotifyIfNeeded();

            while (driver.TryGetUsed(out _, out _))
                collected++;
            Assert.Equal(size, driver.NumFree);
        }

        Assert.Equal(unchecked((ushort)total), ring.AvailIdx);
        Assert.Equal(unchecked((ushort)total), ring.UsedIdx);
        Assert.Equal(unchecked((ushort)total), device.NextAvail);
        Assert.Equal(unchecked((ushort)total), device.NextUsed);
        Assert.Equal(total, device.Popped);
        Assert.False(device.IsBroken);
    }

    [Fact]
    public void Device_ResumesAtNextAvailAfterReconnect()
    {
        // vhost-user GET_VRING_BASE / SET_VRING_BASE: a new device side continues where the old one stopped.
        using var ring = new RingBuilder(8);
        var driver = ring.CreateDriver();
        var heads = Enumerable.Range(0, 3).Select(_ => driver.TryAdd([ring.Readable(8)])).ToArray();
        var first = ring.CreateDevice();
        var descriptors = new Descriptor[8];
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(PopResult.Chain, first.TryPop(descriptors, out var c));
            first.PushUsed(c.Head, 0);
        }

        var second = ring.CreateDevice(nextAvail: first.NextAvail);

        Assert.Equal(2, second.NextUsed);
        Assert.Equal(PopResult.Chain, second.TryPop(descriptors, out var chain));
        Assert.Equal((ushort)heads[2], chain.Head);
        second.PushUsed(chain.Head, 0);
        var collected = new List<int>();
        while (driver.TryGetUsed(out var h, out _))
            collected.Add(h);
        Assert.Equal(heads, collected);
    }

    [Fact]
    public void RingBuilder_AndDriverQueueWriteTheSameChain()
    {
        // The test driver (RingBuilder) and the production driver (DriverQueue) agree on the wire format.
        using var ring = new RingBuilder(8);
        BufferSegment[] segments = [ring.Readable(16), ring.Writable(32)];
        var builderHead = ring.AddChain(segments);
        var viaBuilder = (ring.GetDescriptor(builderHead), ring.GetDescriptor(ring.GetDescriptor(builderHead).Next));

        var driver = ring.CreateDriver();
        var driverHead = driver.TryAdd(segments);
        var first = ring.GetDescriptor(driverHead);
        var viaDriver = (first, ring.GetDescriptor(first.Next));

        Assert.Equal(viaBuilder.Item1 with { Next = 0 }, viaDriver.first with { Next = 0 });
        Assert.Equal(viaBuilder.Item2 with { Next = 0 }, viaDriver.Item2 with { Next = 0 });
        Assert.Equal(1, ring.AvailIdx);
        Assert.Equal((ushort)driverHead, ring.GetAvailEntry(0));
    }
}
