using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// <see cref="BalloonDeviceOptions.DeferRelease"/>: with MUST_TELL_HOST negotiated the device returns inflate
/// buffers first and releases on another thread; every deflate, reset, queue stop and memory change waits for
/// the queued releases, so a release never lands on a page the guest may use again (VIRTIO 1.2 §5.5.6.1).
/// The worker is held back with the device's test hook, so "returned before released" is seen, not assumed.
/// </summary>
public sealed class DeferredReleaseTests
{
    private static readonly TimeSpan s_blocked = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static DeviceRig Deferred(bool sg = false) =>
        new(new BalloonDeviceOptions { MustTellHost = true, DeferRelease = true, ScatterGather = sg });

    /// <summary>Holds every deferred release until <see cref="Open"/>.</summary>
    private sealed class Gate : IDisposable
    {
        private readonly ManualResetEventSlim _open = new();

        public Gate(BalloonDevice device) => device.BeforeDeferredRelease = () => _open.Wait(s_timeout);

        public void Open() => _open.Set();

        // Only opened: a worker may still be inside Wait when a failed test ends.
        public void Dispose() => _open.Set();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_BuffersComeBackBeforeTheRelease_ThenExactlyTheInflatedFramesAreReleased(bool sg)
    {
        using var rig = Deferred(sg);
        using var gate = new Gate(rig.Device);
        Assert.True(rig.Device.ReleaseDeferred);
        var head = sg
            ? rig.Inflate.AddChain(Range(B - 2 * Page, (uint)(4 * Page)), Range(C, (uint)Page))
            : AddPfns(rig.Inflate, PfnOf(B - 2 * Page), PfnOf(B - Page), PfnOf(B), PfnOf(B + Page), PfnOf(C));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Inflate));
        Assert.Equal(5 * (long)Page, rig.Device.PendingReleaseBytes);
        Assert.Equal(rig.Baseline, rig.Memory.AllocatedBytes());
        Assert.Equal(5UL, rig.Device.BalloonedPages);

        gate.Open();
        rig.Device.WaitForReleases();

        Assert.Equal(0, rig.Device.PendingReleaseBytes);
        rig.AssertReleased((B - 2 * Page, 4), (C, 1));
        rig.AssertNoErrors();
    }

    [Fact]
    public async Task Deflate_WaitsForTheQueuedRelease_BeforeReturningItsBuffer()
    {
        using var rig = Deferred();
        using var gate = new Gate(rig.Device);
        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page));
        rig.Process(BalloonQueue.Inflate);
        Used(rig.Inflate);
        var head = AddPfns(rig.Deflate, PfnOf(A));

        var deflate = Task.Run(() => rig.Process(BalloonQueue.Deflate));

        Assert.NotSame(deflate, await Task.WhenAny(deflate, Task.Delay(s_blocked)));   // acknowledged with a release of its frame still queued?
        gate.Open();
        Assert.True(await deflate.WaitAsync(s_timeout));
        Assert.Equal([new UsedElement(head, 0)], Used(rig.Deflate));
        Assert.Equal(0, rig.Device.PendingReleaseBytes);
        rig.AssertReleased((A, 2));
        Assert.False(rig.Device.IsBallooned(PfnOf(A)));
        rig.AssertNoErrors();
    }

    public static TheoryData<string> OrderingPoints => ["reset", "detach inflate queue", "memory change"];

    [Theory]
    [MemberData(nameof(OrderingPoints))]
    public async Task ResetQueueStopAndMemoryChange_WaitForQueuedReleases(string point)
    {
        using var rig = Deferred();
        using var gate = new Gate(rig.Device);
        AddPfns(rig.Inflate, PfnOf(C), PfnOf(C + Page), PfnOf(C + 2 * Page));
        rig.Process(BalloonQueue.Inflate);

        var action = Task.Run(() =>
        {
            switch (point)
            {
                case "reset":
                    rig.Device.Reset();
                    break;
                case "detach inflate queue":
                    rig.Device.AttachQueue(BalloonQueue.Inflate, null);
                    break;
                default:
                    rig.Device.Memory = rig.Memory;
                    break;
            }
        });

        Assert.NotSame(action, await Task.WhenAny(action, Task.Delay(s_blocked)));   // went ahead with a release still queued?
        gate.Open();
        await action.WaitAsync(s_timeout);
        Assert.Equal(0, rig.Device.PendingReleaseBytes);
        rig.AssertReleased((C, 3));
    }

    [Fact]
    public void WithoutMustTellHostNegotiated_ReleasesBeforeReturning()
    {
        var options = new BalloonDeviceOptions { MustTellHost = true, DeferRelease = true };
        var withoutTell = new BalloonDevice(options).OfferedFeatures & ~VirtioFeatures.Bit(BalloonFeatures.MustTellHost);
        using var rig = new DeviceRig(options, withoutTell);
        rig.Device.BeforeDeferredRelease = () => throw new InvalidOperationException("released off the device thread");
        Assert.False(rig.Device.ReleaseDeferred);

        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page));
        rig.Process(BalloonQueue.Inflate);

        Assert.Single(Used(rig.Inflate));
        Assert.Equal(0, rig.Device.PendingReleaseBytes);
        rig.AssertReleased((A, 2));
        rig.AssertNoErrors();
    }

    [Fact]
    public void ManyDrains_AllReleasedInOrder_CountersAgree()
    {
        using var rig = Deferred(sg: true);
        foreach (var region in new[] { A, B, C })
        {
            for (ulong off = 0; off < RegionSize; off += 8 * Page)
            {
                rig.Inflate.AddChain(Range(region + off, (uint)(8 * Page)));
                rig.Process(BalloonQueue.Inflate);
                Used(rig.Inflate);
            }
        }

        rig.Device.WaitForReleases();

        Assert.Equal(0, rig.Device.PendingReleaseBytes);
        rig.AssertReleased((A, RegionSize / Page), (B, RegionSize / Page), (C, RegionSize / Page));
        Assert.Equal(3 * (long)RegionSize, rig.Counters.BytesReleased);
        rig.AssertNoErrors();
    }

    [Fact]
    public void Options_DeferReleaseWithoutMustTellHost_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new BalloonDevice(new BalloonDeviceOptions { DeferRelease = true }));
        Assert.Contains("MUST_TELL_HOST", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_DeferReleaseWithPerPageRelease_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new BalloonDevice(
            new BalloonDeviceOptions { DeferRelease = true, MustTellHost = true, Release = ReleasePolicy.PerPage }));
        Assert.Contains("coalesce", e.Message, StringComparison.Ordinal);
    }
}
