using Ballast.Linux;
using Ballast.TestKit;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// Used buffer notifications (device → driver "calls"), VIRTIO 1.2 §2.7.7: the driver suppresses them with
/// VIRTQ_AVAIL_F_NO_INTERRUPT or, with VIRTIO_F_EVENT_IDX, used_event.
/// </summary>
public sealed class UsedNotificationTests
{
    private static readonly ulong EventIdxFeature = VirtioFeatures.Bit(VirtioFeatures.EventIdx);

    [Fact]
    public void NeedsNotification_WithoutEventIdx_UnlessNoInterrupt()
    {
        // §2.7.7.2: "If flags is 1, the device SHOULD NOT send a notification. If flags is 0, the device MUST send
        // a notification."
        using var ring = new RingBuilder(8);
        var device = ring.CreateDevice();
        ring.UsedEvent = 12345; // "The device MUST ignore the used_event value."
        Use(ring, device);
        Assert.True(device.NeedsNotification());

        ring.AvailFlags = SplitRing.AvailFlagNoInterrupt;
        Use(ring, device);
        Assert.False(device.NeedsNotification());

        ring.AvailFlags = 0;
        Use(ring, device);
        Assert.True(device.NeedsNotification());
    }

    [Fact]
    public void NeedsNotification_WithEventIdx_OnlyWhenUsedEventIsWritten()
    {
        // §2.7.7.2: "If the idx field in the used ring (which determined where that descriptor index was placed)
        // was equal to used_event, the device MUST send a notification. Otherwise the device SHOULD NOT."
        using var ring = new RingBuilder(8, EventIdxFeature);
        var device = ring.CreateDevice();

        Use(ring, device);                          // used slot 0 == used_event 0
        Assert.True(device.NeedsNotification());
        Use(ring, device);                          // slot 1
        Assert.False(device.NeedsNotification());

        ring.UsedEvent = 3;
        Use(ring, device);                          // slot 2
        Assert.False(device.NeedsNotification());
        Use(ring, device);                          // slot 3 == used_event
        Assert.True(device.NeedsNotification());

        ring.UsedEvent = 5;
        Use(ring, device);                          // slots 4..6 in one batch, 5 among them
        Use(ring, device);
        Use(ring, device);
        Assert.True(device.NeedsNotification());
        Assert.False(device.NeedsNotification());   // nothing new
    }

    [Fact]
    public void NeedsNotification_WithEventIdx_IgnoresNoInterruptFlag()
    {
        // §2.7.7.2: "if the VIRTIO_F_EVENT_IDX feature bit is negotiated: The device MUST ignore the lower bit of flags."
        using var ring = new RingBuilder(8, EventIdxFeature);
        var device = ring.CreateDevice();
        ring.AvailFlags = SplitRing.AvailFlagNoInterrupt;

        Use(ring, device);

        Assert.True(device.NeedsNotification());
    }

    [Fact]
    public void NeedsNotification_WithEventIdx_UsedEventZeroNotifiesOnceEvery65536Buffers()
    {
        // §2.7.7.2 note: "if used_event is 0, then a device using VIRTIO_F_EVENT_IDX would send a used buffer
        // notification to the driver after the first buffer is used (and again after the 65536th buffer, etc)."
        using var ring = new RingBuilder(1, EventIdxFeature);
        var device = ring.CreateDevice();
        var notifiedAfter = new List<int>();

        for (var n = 1; n <= 65536 + 2; n++)
        {
            Use(ring, device);
            if (device.NeedsNotification())
                notifiedAfter.Add(n);
        }

        Assert.Equal([1, 65537], notifiedAfter);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NotifyIfNeeded_SignalsCallAndCounts(bool eventIdx)
    {
        using var ring = new RingBuilder(8, eventIdx ? EventIdxFeature : 0);
        var device = ring.CreateDevice();
        using var call = new EventFd();
        device.Call = call;

        Use(ring, device);
        Assert.True(device.NotifyIfNeeded());
        Assert.Equal(1UL, call.TryConsume());

        ring.AvailFlags = eventIdx ? (ushort)0 : SplitRing.AvailFlagNoInterrupt;
        ring.UsedEvent = 100;
        Use(ring, device);
        Assert.False(device.NotifyIfNeeded());
        Assert.Equal(0UL, call.TryConsume());
        Assert.Equal(1, device.Notifications);
    }

    [Fact]
    public void DriverQueue_WithEventIdx_AsksForTheNextBufferWhenCollecting()
    {
        // Linux virtqueue_get_buf: after collecting, used_event = last_used_idx, i.e. "notify me for the next one".
        using var ring = new RingBuilder(8, EventIdxFeature);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[8];
        for (var i = 0; i < 3; i++)
            driver.TryAdd([ring.Readable(8)]);
        while (device.TryPop(descriptors, out var c) == PopResult.Chain)
            device.PushUsed(c.Head, 0);
        Assert.True(device.NeedsNotification());

        Assert.True(driver.TryGetUsed(out _, out _));
        Assert.Equal(1, ring.UsedEvent);
        Assert.True(driver.TryGetUsed(out _, out _));
        Assert.True(driver.TryGetUsed(out _, out _));
        Assert.Equal(3, ring.UsedEvent);

        driver.TryAdd([ring.Readable(8)]);
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var next));
        device.PushUsed(next.Head, 0);
        Assert.True(device.NeedsNotification());
    }

    /// <summary>Offers one buffer through the builder, pops it and returns it used.</summary>
    private static void Use(RingBuilder ring, DeviceQueue device)
    {
        Span<Descriptor> descriptors = stackalloc Descriptor[ring.Size];
        ring.SetDescriptor(0, RingBuilder.DefaultBufferArea, 8);
        ring.Publish(0);
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));
        device.PushUsed(chain.Head, 0);
    }
}
