using Ballast.Linux;
using Ballast.TestKit;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// A ring that cannot be trusted any more — an available index further ahead than the queue has buffers, or a
/// head outside the descriptor table — makes the queue <see cref="DeviceQueue.IsBroken"/> with a reason. From
/// then on it pops nothing, pushes nothing and notifies nobody, until the device is reset (§2.1.2 DEVICE_NEEDS_RESET).
/// </summary>
public sealed class DeviceQueueBrokenRingTests
{
    private const int Size = 8;

    [Theory]
    [InlineData(Size + 1)]
    [InlineData(Size * 2)]
    [InlineData(ushort.MaxValue)]   // the driver decremented idx by one
    public void TryPop_BreaksWhenAvailIdxRunsMoreThanQueueSizeAhead(int availIdx)
    {
        // §2.7: "Queue Size corresponds to the maximum number of buffers in the virtqueue"; §2.7.6.1: "A driver
        // MUST NOT decrement the available idx on a virtqueue (ie. there is no way to “unexpose” buffers)."
        using var ring = new RingBuilder(Size);
        ring.AvailIdx = (ushort)availIdx;
        var device = ring.CreateDevice();

        Assert.Equal(PopResult.Broken, device.TryPop(new Descriptor[Size], out var chain));

        Assert.Equal(default, chain);
        Assert.True(device.IsBroken);
        Assert.Contains($"available index {(ushort)availIdx}", device.BrokenReason, StringComparison.Ordinal);
        Assert.Contains($"queue size {Size}", device.BrokenReason, StringComparison.Ordinal);
        Assert.Equal(0, device.NextAvail);
        Assert.Equal(0, device.Popped);
        AssertStaysBroken(ring, device);
    }

    [Fact]
    public void TryPop_BreaksOnAvailIdxJumpAcrossThe16BitWrap()
    {
        using var ring = new RingBuilder(Size);
        ring.AvailIdx = unchecked((ushort)(65530 + Size + 1));
        var device = ring.CreateDevice(nextAvail: 65530);

        Assert.Equal(PopResult.Broken, device.TryPop(new Descriptor[Size], out _));

        Assert.Equal(65530, device.NextAvail);
        AssertStaysBroken(ring, device);
    }

    [Fact]
    public void TryPop_AcceptsAvailIdxExactlyQueueSizeAhead()
    {
        using var ring = new RingBuilder(Size);
        for (var i = 0; i < Size; i++)
            ring.AddChain(ring.Readable(8));
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];

        for (var i = 0; i < Size; i++)
            Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out _));

        Assert.Equal(PopResult.Empty, device.TryPop(descriptors, out _));
        Assert.False(device.IsBroken);
    }

    [Theory]
    [InlineData(Size)]
    [InlineData(Size + 3)]
    [InlineData(ushort.MaxValue)]
    public void TryPop_BreaksWhenAvailRingNamesHeadBeyondQueueSize(int head)
    {
        // §2.7.6: "each ring entry refers to the head of a descriptor chain" — an entry of the descriptor table.
        using var ring = new RingBuilder(Size);
        var good = ring.AddChain(ring.Readable(8));
        ring.Publish((ushort)head);
        ring.AddChain(ring.Readable(8));
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var first));
        Assert.Equal(good, first.Head);

        Assert.Equal(PopResult.Broken, device.TryPop(descriptors, out _));

        Assert.Contains($"names descriptor {head}", device.BrokenReason, StringComparison.Ordinal);
        Assert.Equal(1, device.NextAvail); // the bad slot was not consumed
        Assert.Equal(1, device.Popped);
        AssertStaysBroken(ring, device);
    }

    [Fact]
    public void PushUsed_OfChainPoppedBeforeTheBreakIsDropped()
    {
        using var ring = new RingBuilder(Size);
        ring.AddChain(ring.Writable(8));
        ring.Publish(Size);
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));
        Assert.Equal(PopResult.Broken, device.TryPop(descriptors, out _));

        device.PushUsed(chain.Head, 8);

        Assert.Equal(0, ring.UsedIdx);
        Assert.Equal(0, device.NextUsed);
    }

    /// <summary>After the break: repairing the ring changes nothing, and no call writes to it or signals.</summary>
    private static void AssertStaysBroken(RingBuilder ring, DeviceQueue device)
    {
        var reason = device.BrokenReason;
        Assert.False(string.IsNullOrEmpty(reason));
        using var call = new EventFd();
        device.Call = call;

        // The driver "repairs" the ring: one good buffer right where the device would read next.
        ring.SetDescriptor(0, ring.Readable(8).Address, 8);
        ring.SetAvailEntry(device.NextAvail & (Size - 1), 0);
        ring.AvailIdx = (ushort)(device.NextAvail + 1);
        var usedBefore = ring.Bytes(ring.Addresses.UsedRing, (int)SplitRing.UsedRingBytes(Size)).ToArray();

        for (var i = 0; i < 3; i++)
            Assert.Equal(PopResult.Broken, device.TryPop(new Descriptor[Size], out _));
        device.PushUsed(0, 123);
        device.DisableNotifications();
        Assert.False(device.EnableNotifications());
        Assert.False(device.HasAvailable());
        Assert.False(device.NeedsNotification());
        Assert.False(device.NotifyIfNeeded());

        Assert.Equal(usedBefore, ring.Bytes(ring.Addresses.UsedRing, (int)SplitRing.UsedRingBytes(Size)).ToArray());
        Assert.Equal(0UL, call.TryConsume());
        Assert.Equal(0, device.Notifications);
        Assert.True(device.IsBroken);
        Assert.Equal(reason, device.BrokenReason);
    }
}
