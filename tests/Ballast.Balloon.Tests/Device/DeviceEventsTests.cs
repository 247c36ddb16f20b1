using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.TestKit;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// The events the management API's long-poll and <c>serve --target</c> wait on: <see cref="BalloonDevice.ActualChanged"/>,
/// <see cref="BalloonDevice.ReleasesDrained"/> and <see cref="BalloonDevice.DriverReady"/>.
/// </summary>
public sealed class DeviceEventsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void DriverWritingActual_RaisesActualChanged_EvenWithTheSameValue()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        var raised = 0;
        device.ActualChanged += () => raised++;

        WriteActual(device, 5);
        WriteActual(device, 5);

        Assert.Equal(2, raised);
    }

    [Fact]
    public void WriteOutsideActual_DoesNotRaiseActualChanged()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { PagePoison = true });
        var raised = 0;
        device.ActualChanged += () => raised++;

        device.WriteConfig(12, [1, 2, 3, 4]);   // poison_val
        device.WriteConfig(0, [1, 0, 0, 0]);    // num_pages is the device's: ignored

        Assert.Equal(0, raised);
    }

    [Fact]
    public void Reset_RaisesActualChanged()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        WriteActual(device, 5);
        var raised = 0;
        device.ActualChanged += () => raised++;

        device.Reset();

        Assert.Equal(1, raised);
        Assert.Equal(0u, device.Actual);
    }

    [Fact]
    public void AttachingTheInflateQueue_RaisesDriverReady_OtherQueuesAndDetachingDoNot()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var ring = new RingBuilder();
        var raised = 0;
        device.DriverReady += () => raised++;

        device.AttachQueue(BalloonQueue.Deflate, ring.CreateDevice());
        device.AttachQueue(BalloonQueue.Inflate, null);
        Assert.Equal(0, raised);
        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());

        Assert.Equal(1, raised);
    }

    [Fact]
    public async Task DeferredReleases_RaiseReleasesDrained_OnceNothingIsPending()
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { MustTellHost = true, DeferRelease = true });
        var drained = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Device.ReleasesDrained += () => drained.TrySetResult(rig.Device.PendingReleaseBytes);
        Assert.True(rig.Device.ReleaseDeferred);

        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page));
        rig.Process(BalloonQueue.Inflate);

        Assert.Equal(0, await drained.Task.WaitAsync(s_timeout));
    }

    private static void WriteActual(BalloonDevice device, uint pages)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, pages);
        device.WriteConfig(4, bytes);
    }
}
