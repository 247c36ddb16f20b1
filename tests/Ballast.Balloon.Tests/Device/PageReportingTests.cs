using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Free page reporting, VIRTIO 1.2 §5.5.6.6: "The driver MUST NOT use the reported pages until the device has
/// acknowledged the reporting request" — so each block is released in one step, and the buffer comes back only after
/// every release of it, never deferred; reported frames are lent, not ballooned.
/// </summary>
public sealed class PageReportingTests
{
    private static DeviceRig Reporting(bool stats = true, BalloonDeviceOptions? options = null) =>
        new((options ?? new BalloonDeviceOptions()) with { PageReporting = true, StatsQueue = stats });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AReportOfSeveralBlocks_ReleasesEachInOneCall_BeforeTheBufferComesBack(bool stats)
    {
        using var rig = Reporting(stats);
        Assert.Equal(stats ? 3 : 2, rig.ReportingIndex);
        var released = new List<(ulong Gpa, ulong Length)>();
        var usedWhenReleased = new List<ushort>();
        rig.Device.BeforeRelease = range =>
        {
            released.Add((range.GuestPhysAddr, range.Length));
            usedWhenReleased.Add(rig.Reporting!.UsedIdx);
        };
        long callsBeforeReturn = -1;
        rig.Device.BeforeReportReturned = _ => callsBeforeReturn = rig.Counters.ReleaseCalls;
        var head = rig.Reporting!.AddChain(Range(A, (uint)(16 * Page)), Range(C + 8 * Page, (uint)(8 * Page)), Range(A + 32 * Page, (uint)Page));

        Assert.True(rig.Process(rig.ReportingIndex));

        // In address order (the blocks are sorted to merge the ones that touch; these do not).
        Assert.Equal([(A, 16 * Page), (A + 32 * Page, Page), (C + 8 * Page, 8 * Page)], released);
        Assert.All(usedWhenReleased, used => Assert.Equal(0, used));   // nothing returned while releasing
        Assert.Equal(3, callsBeforeReturn);
        Assert.Equal([new UsedElement(head, 0)], Used(rig.Reporting));
        rig.AssertReleased((A, 16), (C + 8 * Page, 8), (A + 32 * Page, 1));
        Assert.Equal(1, rig.Counters.Reports);
        Assert.Equal(3, rig.Counters.ReportedEntries);
        Assert.Equal(25 * (long)Page, rig.Counters.ReportedBytes);
        Assert.Equal(25 * (long)Page, rig.Counters.ReportReleasedBytes);
        Assert.Equal(0, rig.Counters.ReportedReadableEntries);
        rig.AssertNoErrors();
    }

    [Fact]
    public void AdjacentBlocks_InAnyOrder_AreOneReleaseCall()
    {
        // Linux fills a report from a free list that is mostly in address order, often descending: 8 blocks of 4 pages
        // that touch, listed high to low, are one run.
        using var rig = Reporting();
        var released = new List<(ulong Gpa, ulong Length)>();
        rig.Device.BeforeRelease = range => released.Add((range.GuestPhysAddr, range.Length));
        rig.Reporting!.AddChain([.. Enumerable.Range(0, 8).Reverse().Select(i => Range(A + (ulong)(4 * i) * Page, (uint)(4 * Page)))]);

        rig.Process(rig.ReportingIndex);

        Assert.Equal([(A, 32 * Page)], released);
        Assert.Equal(1, rig.Counters.ReleaseCalls);
        Assert.Equal(8, rig.Counters.ReportedEntries);
        Assert.Equal(32 * (long)Page, rig.Counters.ReportReleasedBytes);
        rig.AssertReleased((A, 32));
        rig.AssertNoErrors();
    }

    [Fact]
    public void ABlockReportedTwiceOrOverlapping_IsReleasedAndCountedOnce()
    {
        using var rig = Reporting();
        rig.Reporting!.AddChain(Range(A, (uint)(8 * Page)), Range(A + 4 * Page, (uint)(8 * Page)), Range(A, (uint)(8 * Page)));

        rig.Process(rig.ReportingIndex);

        Assert.Equal(1, rig.Counters.ReleaseCalls);
        Assert.Equal(12 * (long)Page, rig.Counters.ReportReleasedBytes);
        rig.AssertReleased((A, 12));
    }

    [Fact]
    public void ABlockAcrossTwoAdjacentRegions_IsOneReleasePerRegion()
    {
        using var rig = Reporting();
        rig.Reporting!.AddChain(Range(B - 4 * Page, (uint)(8 * Page)));

        rig.Process(rig.ReportingIndex);

        Assert.Equal(2, rig.Counters.ReleaseCalls);
        rig.AssertReleased((B - 4 * Page, 8));
    }

    [Fact]
    public void ReportedFrames_AreNotBallooned_AndInflatingThemLaterBalloonsAndReleasesThem()
    {
        using var rig = Reporting();
        using var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        rig.Reporting!.AddChain(Range(A, (uint)(4 * Page)));
        rig.Process(rig.ReportingIndex);

        Assert.Equal(0UL, rig.Device.BalloonedPages);
        Assert.False(rig.Device.IsBallooned(PfnOf(A)));
        Assert.Equal(0UL, record.Count);
        Assert.Equal(0, rig.Counters.PagesInflated);

        // The guest took the pages back and used them; later it inflates two of them.
        rig.WritePattern(A);
        rig.WritePattern(A + Page);
        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page));
        rig.Process(BalloonQueue.Inflate);

        Assert.Equal(2UL, rig.Device.BalloonedPages);
        Assert.Equal(2, rig.Counters.PagesInflated);
        Assert.Equal(2UL, record.Count);
        Assert.Equal(6 * (long)Page, rig.Counters.BytesReleased);
        rig.AssertMemoryReleased((A, 4));
        rig.AssertNoErrors();
    }

    [Fact]
    public void ABlockOverlappingBallooned_IsHarmless_AndLeavesTheBalloonAlone()
    {
        using var rig = Reporting();
        AddPfns(rig.Inflate, PfnOf(C), PfnOf(C + Page));
        rig.Process(BalloonQueue.Inflate);
        rig.Reporting!.AddChain(Range(C, (uint)(4 * Page)));

        rig.Process(rig.ReportingIndex);

        Assert.Equal(2UL, rig.Device.BalloonedPages);
        rig.AssertMemoryReleased((C, 4));
        rig.AssertNoErrors();
    }

    [Fact]
    public void DriverReadableBlocks_AreAccepted_CountedAndLoggedOnce()
    {
        using var rig = Reporting();
        rig.Reporting!.AddChain(new BufferSegment(A, (uint)Page, DeviceWritable: false), Range(A + Page, (uint)Page));
        rig.Reporting.AddChain(new BufferSegment(A + 2 * Page, (uint)Page, DeviceWritable: false));

        rig.Process(rig.ReportingIndex);

        Assert.Equal(3, rig.Counters.ReportedEntries);
        Assert.Equal(2, rig.Counters.ReportedReadableEntries);
        Assert.Equal(1, rig.Logger.Entries.Count(e => e.Message.Contains("driver-readable", StringComparison.Ordinal)));
        rig.AssertReleased((A, 3));
    }

    [Fact]
    public void DeferredReleaseMode_StillReleasesReportsBeforeReturningThem()
    {
        using var rig = Reporting(options: new BalloonDeviceOptions { MustTellHost = true, DeferRelease = true });
        using var hold = new ManualResetEventSlim();
        rig.Device.BeforeDeferredRelease = () => hold.Wait(TimeSpan.FromSeconds(30));
        Assert.True(rig.Device.ReleaseDeferred);
        AddPfns(rig.Inflate, PfnOf(C));
        rig.Process(BalloonQueue.Inflate);                 // its release waits on the worker
        Assert.Equal((long)Page, rig.Device.PendingReleaseBytes);
        var head = rig.Reporting!.AddChain(Range(A, (uint)(2 * Page)));

        Assert.True(rig.Process(rig.ReportingIndex));      // does not wait for the worker, nor use it

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Reporting));
        Assert.Equal((long)Page, rig.Device.PendingReleaseBytes);
        Assert.Equal(rig.Baseline - 2 * (long)Page, rig.Memory.AllocatedBytes());
        hold.Set();
        rig.Device.WaitForReleases();
        rig.AssertReleased((A, 2), (C, 1));
    }

    [Fact]
    public void AReplayedReport_IsReleasedAgain_WithoutErrors()
    {
        // A worker killed before it returned a report: the next one pops the same buffer and releases it again.
        using var rig = Reporting();
        var head = rig.Reporting!.AddChain(Range(A, (uint)(2 * Page)));
        rig.Process(rig.ReportingIndex);
        rig.Reporting.UsedIdx = 0;                                          // as if it had died before returning it
        ((IVirtioDevice)rig.Device).ExpectReplays(rig.ReportingIndex, 1);   // nothing to expect: harmless
        rig.Device.AttachQueue(rig.ReportingIndex, rig.Reporting.CreateDevice(nextAvail: 0));

        rig.Process(rig.ReportingIndex);

        Assert.Equal(0, rig.Device.ReplayChainsLeft(rig.ReportingIndex));
        Assert.Equal(2, rig.Counters.Reports);
        Assert.Equal(head, rig.Reporting.GetUsed(0).Id);
        rig.AssertMemoryReleased((A, 2));
        rig.AssertNoErrors();
    }

    [Fact]
    public void AQueueTheNegotiationDoesNotHave_IsNotRead()
    {
        // Reporting offered, not accepted: index 3 is nobody's, whatever the driver puts there.
        using var rig = new DeviceRig(new BalloonDeviceOptions { PageReporting = true },
            driverFeatures: VirtioFeatures.Bit(BalloonFeatures.StatsVq) | VirtioFeatures.Bit(VirtioFeatures.Version1));
        using var ring = new RingBuilder(16, 0, rig.Memory, 0x7000, 0x3_8000);
        rig.Device.AttachQueue(3, ring.CreateDevice());
        ring.AddChain(Range(A, (uint)Page));

        Assert.Equal(QueueProgress.Idle, rig.Device.ProcessQueue(3, 16));

        Assert.Empty(Used(ring));
        rig.AssertNothingReleased();
    }
}
