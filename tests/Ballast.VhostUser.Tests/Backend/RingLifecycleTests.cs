using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>vhost-user.rst "Ring states": started, enabled, stopped, broken, reset.</summary>
public sealed class RingLifecycleTests
{
    [Fact]
    public async Task DisabledRing_IsNotProcessed_AndEnablingItProcessesWhatWaited()
    {
        using var h = new GuestHarness(sg: false);
        h.Frontend.SendVringState(FrontendRequest.SetVringEnable, BalloonQueue.Inflate, 0);
        Assert.Null(h.Device.GetQueue(BalloonQueue.Inflate));

        // The driver blocks waiting for the device; enable the ring from another thread after a while.
        var enabler = Task.Run(async () =>
        {
            await Task.Delay(100);
            Assert.Equal(0UL, h.Device.BalloonedPages);
            h.Frontend.SendVringState(FrontendRequest.SetVringEnable, BalloonQueue.Inflate, 1);
        });
        Assert.Equal(256UL, h.Driver.Inflate(256));
        await enabler.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(256UL, h.Device.BalloonedPages);
    }

    [Fact]
    public void BrokenRing_IsReportedOnItsErrorEventfd()
    {
        using var h = new GuestHarness();
        using var reported = new ManualResetEventSlim();
        var queueReported = -1;
        h.Frontend.QueueError += q =>
        {
            queueReported = q;
            reported.Set();
        };
        var queue = h.Device.GetQueue(BalloonQueue.Deflate)!;
        // The driver publishes an available index far beyond the queue size: the ring can no longer be trusted.
        BinaryPrimitives.WriteUInt16LittleEndian(h.Guest.Memory.GetSpan(queue.Addresses.AvailableRing + 2, 2), (ushort)(queue.Size + 5));

        h.Frontend.SendVringState(FrontendRequest.SetVringEnable, BalloonQueue.Deflate, 1);

        Assert.True(reported.Wait(TimeSpan.FromSeconds(5)), "no error eventfd signal");
        Assert.Equal(BalloonQueue.Deflate, queueReported);
        Assert.True(h.Server.Logs.Has(124));
    }

    [Fact]
    public void ResetOwner_StopsRingsAndResetsTheDevice_KeepingTheTarget()
    {
        using var h = new GuestHarness();
        h.Driver.Inflate(512);
        h.Device.SetTargetPages(512);

        h.Frontend.Send(FrontendRequest.ResetOwner, [], [], ack: true);

        for (var q = 0; q < h.Device.QueueCount; q++)
            Assert.Null(h.Device.GetQueue(q));
        Assert.Equal(0u, h.Device.Actual);
        Assert.Equal(0UL, h.Device.BalloonedPages);
        Assert.Equal(512u, h.Device.NumPages);
        Assert.Equal(h.Guest.Memory.RamBytes, h.Server.Server.GuestRamBytes);
    }

    [Fact]
    public void StopAndStart_ContinueWhereTheRingsStopped()
    {
        using var h = new GuestHarness(sg: false);
        h.Driver.Inflate(256);
        Wait.Until(() => h.Device.Statistics is not null, "no first stats buffer");

        h.Frontend.Stop();

        for (var q = 0; q < h.Device.QueueCount; q++)
            Assert.Null(h.Device.GetQueue(q));
        h.Frontend.DriverOk();
        Assert.Equal(256UL, h.Driver.Inflate(256));
        Assert.Equal(512UL, h.Device.BalloonedPages);
        // The stats buffer the device held across the stop is handed out again, not lost.
        Assert.True(h.Device.RequestStatistics());
        Assert.Equal(0, h.Device.Counters.TotalErrors);
    }
}
