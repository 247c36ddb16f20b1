using Ballast.Balloon.Device;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// A ring that cannot be trusted any more (VIRTIO 1.2 §2.1.2 DEVICE_NEEDS_RESET): <see cref="BalloonDevice.ProcessQueue(int)"/>
/// returns false, <see cref="BalloonError.QueueBroken"/> is counted and logged, nothing throws, the other
/// queues keep working and nothing is released for what was never read.
/// </summary>
public sealed class QueueBrokenTests
{
    private const int Size = 16;

    [Theory]
    [InlineData(Size + 1)]
    [InlineData(1000)]
    [InlineData(ushort.MaxValue)]
    public void ProcessQueue_ReturnsFalseWhenAvailIndexJumpsPastQueueSize(int jump)
    {
        // §2.7.6: the driver can never have more than the queue size of buffers outstanding.
        using var rig = Pfn();
        for (var slot = 0; slot < Size; slot++)
            rig.Inflate.SetAvailEntry(slot, rig.Inflate.WriteChain(PfnArray(rig.Inflate, PfnOf(A + (ulong)slot * Page))));
        rig.Inflate.AvailIdx = (ushort)jump;

        Assert.False(rig.Process(BalloonQueue.Inflate));

        Assert.Empty(Used(rig.Inflate));
        Assert.Equal(0UL, rig.Device.BalloonedPages);
        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.QueueBroken);
        Assert.True(rig.Device.GetQueue(BalloonQueue.Inflate)!.IsBroken);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains("needs reset", StringComparison.Ordinal));
    }

    [Fact]
    public void ProcessQueue_ReturnsFalseWhenAvailRingNamesDescriptorBeyondQueueSize()
    {
        using var rig = Pfn();
        rig.Inflate.SetAvailEntry(0, Size);
        rig.Inflate.AvailIdx = 1;

        Assert.False(rig.Process(BalloonQueue.Inflate));

        Assert.Empty(Used(rig.Inflate));
        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.QueueBroken);
    }

    [Fact]
    public void ProcessQueue_BrokenQueueStaysBrokenAndOtherQueuesWork()
    {
        using var rig = Pfn();
        rig.Inflate.AvailIdx = Size + 1;
        Assert.False(rig.Process(BalloonQueue.Inflate));

        AddPfns(rig.Inflate, PfnOf(A));   // too late: the ring is not read again until the device is reset
        Assert.False(rig.Process(BalloonQueue.Inflate));
        AddPfns(rig.Deflate, PfnOf(A));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Single(Used(rig.Deflate));
        rig.AssertNothingReleased();
        Assert.Equal(2, rig.Counters.Errors(BalloonError.QueueBroken));
        Assert.Equal(1, rig.Counters.Errors(BalloonError.DeflateNotBallooned));
    }

    [Fact]
    public void ProcessQueue_BuffersBeforeTheBreakAreStillBallooned()
    {
        // The frames of a buffer read before the ring broke were given up by the guest; it cannot get the buffer
        // back (the used ring is not written once broken) until it resets the device.
        using var rig = Pfn();
        AddPfns(rig.Inflate, PfnOf(C));
        rig.Inflate.SetAvailEntry(1, ushort.MaxValue);
        rig.Inflate.AvailIdx = 2;

        Assert.False(rig.Process(BalloonQueue.Inflate));

        Assert.Empty(Used(rig.Inflate));
        rig.AssertReleased((C, 1));
        rig.AssertOnlyError(BalloonError.QueueBroken);
    }

    [Fact]
    public void ProcessQueue_StatsQueueCanBreakToo()
    {
        using var rig = Pfn();
        rig.Stats!.AvailIdx = Size + 1;

        Assert.False(rig.Process(BalloonQueue.Stats));

        Assert.Null(rig.Device.Statistics);
        Assert.False(rig.Device.RequestStatistics());
        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.QueueBroken);
    }
}
