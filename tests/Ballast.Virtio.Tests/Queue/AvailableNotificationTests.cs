using Ballast.Linux;
using Ballast.TestKit;
using Ballast.Virtio.Queue;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// Available buffer notifications (driver → device "kicks"), VIRTIO 1.2 §2.7.10: the device suppresses them with
/// VIRTQ_USED_F_NO_NOTIFY or, with VIRTIO_F_EVENT_IDX, avail_event; <see cref="DeviceQueue.EnableNotifications"/>
/// re-checks the ring so a buffer that raced in is not slept on.
/// </summary>
public sealed class AvailableNotificationTests
{
    private static readonly ulong EventIdxFeature = VirtioFeatures.Bit(VirtioFeatures.EventIdx);

    private static RingBuilder CreateRing(bool eventIdx) => new(8, eventIdx ? EventIdxFeature : 0);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KickIfNeeded_KicksForTheFirstBufferAndSignalsTheEventFd(bool eventIdx)
    {
        using var ring = CreateRing(eventIdx);
        var driver = ring.CreateDriver();
        using var kick = new EventFd();
        driver.Kick = kick;

        Assert.False(driver.KickIfNeeded()); // nothing added
        driver.TryAdd([ring.Readable(8)]);

        Assert.True(driver.KickIfNeeded());
        Assert.Equal(1UL, kick.TryConsume());
        Assert.Equal(1, driver.Kicks);
        Assert.False(driver.KickIfNeeded()); // nothing new since the last kick
    }

    [Fact]
    public void KickIfNeeded_WithoutEventIdx_SuppressedByNoNotify()
    {
        // §2.7.10.1: "If flags is 1, the driver SHOULD NOT send a notification. If flags is 0, the driver MUST send
        // a notification."
        using var ring = CreateRing(eventIdx: false);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();

        device.DisableNotifications();

        Assert.Equal(SplitRing.UsedFlagNoNotify, ring.UsedFlags);
        driver.TryAdd([ring.Readable(8)]);
        Assert.False(driver.KickIfNeeded());
        Assert.True(device.EnableNotifications()); // the buffer raced in: drain again
        Assert.Equal(0, ring.UsedFlags);
        driver.TryAdd([ring.Readable(8)]);
        Assert.True(driver.KickIfNeeded());
        Assert.Equal(1, driver.Kicks);
    }

    [Fact]
    public void KickIfNeeded_WithEventIdx_OnlyWhenAvailEventIsReached()
    {
        // §2.7.10.1: "If the idx field in the available ring (which determined where that descriptor index was
        // placed) was equal to avail_event, the driver MUST send a notification. Otherwise the driver SHOULD NOT."
        using var ring = CreateRing(eventIdx: true);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[8];

        driver.TryAdd([ring.Readable(8)]);          // slot 0 == avail_event 0
        Assert.True(driver.KickIfNeeded());
        driver.TryAdd([ring.Readable(8)]);          // slot 1: avail_event still 0, a kick is already pending
        Assert.False(driver.KickIfNeeded());

        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out _));
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out _));
        Assert.False(device.EnableNotifications()); // avail_event = 2, nothing pending
        Assert.Equal(2, ring.AvailEvent);

        driver.TryAdd([ring.Readable(8)]);          // slots 2..4, one kick for the batch
        driver.TryAdd([ring.Readable(8)]);
        driver.TryAdd([ring.Readable(8)]);
        Assert.True(driver.KickIfNeeded());

        ring.AvailEvent = 7;                        // the device asks to be kicked at slot 7
        driver.TryAdd([ring.Readable(8)]);          // slot 5
        driver.TryAdd([ring.Readable(8)]);          // slot 6
        Assert.False(driver.KickIfNeeded());
        Assert.Equal(-1, driver.TryAdd([ring.Readable(8), ring.Readable(8), ring.Readable(8), ring.Readable(8)]));
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var c));
        device.PushUsed(c.Head, 0);
        Assert.True(driver.TryGetUsed(out _, out _));
        driver.TryAdd([ring.Readable(8)]);          // slot 7
        Assert.True(driver.KickIfNeeded());
        Assert.Equal(3, driver.Kicks);
    }

    [Fact]
    public void KickIfNeeded_WithEventIdx_IgnoresNoNotifyFlag()
    {
        // §2.7.10.1: "if the VIRTIO_F_EVENT_IDX feature bit is negotiated: The driver MUST ignore the lower bit of flags."
        using var ring = CreateRing(eventIdx: true);
        var driver = ring.CreateDriver();
        ring.UsedFlags = SplitRing.UsedFlagNoNotify;

        driver.TryAdd([ring.Readable(8)]);

        Assert.True(driver.KickIfNeeded());
    }

    [Fact]
    public void DisableNotifications_WithEventIdx_LeavesFlagsZero()
    {
        // §2.7.10.2: "if the VIRTIO_F_EVENT_IDX feature bit is negotiated: The device MUST set flags to 0."
        using var ring = CreateRing(eventIdx: true);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        driver.TryAdd([ring.Readable(8)]);
        Assert.True(driver.KickIfNeeded());

        device.DisableNotifications();
        driver.TryAdd([ring.Readable(8)]);

        Assert.Equal(0, ring.UsedFlags);
        Assert.False(driver.KickIfNeeded()); // suppressed by the stale avail_event instead
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EnableNotifications_ReturnsTrueWhenABufferRacedIn(bool eventIdx)
    {
        // The lost wake-up: the device drained, the driver added while kicks were off, the device re-enables.
        using var ring = CreateRing(eventIdx);
        var driver = ring.CreateDriver();
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[8];
        driver.TryAdd([ring.Readable(8)]);
        driver.KickIfNeeded();
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out _));
        device.DisableNotifications();
        Assert.Equal(PopResult.Empty, device.TryPop(descriptors, out _));

        driver.TryAdd([ring.Readable(8)]);
        Assert.False(driver.KickIfNeeded());

        Assert.True(device.HasAvailable());
        Assert.True(device.EnableNotifications());
        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out _));
        Assert.False(device.EnableNotifications()); // now empty: safe to sleep
        driver.TryAdd([ring.Readable(8)]);
        Assert.True(driver.KickIfNeeded());          // and the next buffer kicks
    }
}
