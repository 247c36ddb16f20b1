using Ballast.Balloon.Device;
using Ballast.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Daemon.Tests;

/// <summary><c>serve --target</c>: the target is set when the driver is ready (its inflate ring starts), once, if the guest can hold it.</summary>
public class InitialTargetTests
{
    private static readonly TimeSpan s_hangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task DriverReady_SetsTheTarget_AndTellsTheGuest()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var ring = new RingBuilder();
        var configChanges = 0;
        device.ConfigChanged += () => Interlocked.Increment(ref configChanges);
        using var target = new InitialTarget(device, new FakeBalloonBackend(), 64L << 20, NullLogger.Instance);

        Assert.Equal(0u, device.NumPages);
        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());
        await target.Applied.WaitAsync(s_hangGuard);

        Assert.Equal(64u * 256, device.NumPages);
        Assert.Equal(1, configChanges);
    }

    [Fact]
    public async Task SecondDriver_KeepsTheTargetItFinds()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var ring = new RingBuilder();
        using var target = new InitialTarget(device, new FakeBalloonBackend(), 64L << 20, NullLogger.Instance);
        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());
        await target.Applied.WaitAsync(s_hangGuard);

        device.SetTargetPages(1);      // as balloon set would, later
        device.Reset();                // the guest reboots; its driver starts again
        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());

        Assert.Equal(1u, device.NumPages);
    }

    [Fact]
    public async Task TargetAboveTheGuestsRam_IsNotApplied()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var ring = new RingBuilder();
        using var target = new InitialTarget(device, new FakeBalloonBackend { GuestRamBytes = 1UL << 30 }, 2L << 30, NullLogger.Instance);

        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());
        await target.Applied.WaitAsync(s_hangGuard);

        Assert.Equal(0u, device.NumPages);
    }

    [Fact]
    public void OtherQueues_DoNotCountAsReady()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var ring = new RingBuilder();
        using var target = new InitialTarget(device, new FakeBalloonBackend(), 64L << 20, NullLogger.Instance);

        device.AttachQueue(BalloonQueue.Deflate, ring.CreateDevice());

        Assert.False(target.Applied.IsCompleted);
        Assert.Equal(0u, device.NumPages);
    }
}
