using Ballast.Balloon.Device;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// A hostile guest must not flood the host's log: every bad input is counted, but only the first ten of each
/// kind and then every 1000th are logged.
/// </summary>
public sealed class RateLimitedLoggingTests
{
    [Fact]
    public void GuestErrors_AreAllCountedButLoggedRateLimitedPerKind()
    {
        using var rig = new DeviceRig(queueSize: 128);
        var bad = new BufferSegment(rig.Inflate.AllocateBuffer(4), 3, DeviceWritable: false);

        for (var round = 0; round < 10; round++)
        {
            for (var i = 0; i < 100; i++)
                rig.Inflate.AddChain(bad);
            Assert.True(rig.Process(BalloonQueue.Inflate));
            Assert.Equal(100, Used(rig.Inflate).Count);
        }
        AddPfns(rig.Inflate, PfnOf(LowHole));
        rig.Process(BalloonQueue.Inflate);

        Assert.Equal(1000, rig.Counters.Errors(BalloonError.BadPfnBuffer));
        Assert.Equal(11, rig.Logger.Warnings("guest error BadPfnBuffer (#"));   // #1..#10 and #1000
        Assert.Equal(1, rig.Logger.Warnings("guest error BadPfnBuffer (#1000)"));
        Assert.Equal(1, rig.Logger.Warnings("guest error PfnOutOfRange (#1)"));
        rig.AssertNothingReleased();
    }
}
