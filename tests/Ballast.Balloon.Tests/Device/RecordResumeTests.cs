using Ballast.Balloon.Device;
using Ballast.Bitmap;
using Ballast.TestKit;
using static Ballast.Balloon.Tests.Device.DeviceRig;
using static Ballast.Balloon.Tests.Device.RecordChecks;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Crash survival (issue #12): worker A runs with a record; it is "killed" (an exception thrown from the device's
/// test hook at an exact instant, leaving popped buffers unreturned and recorded frames unreleased). Worker B opens a
/// dup of the record's descriptor, resumes, releases the recorded frames, and replays the buffers A had taken.
/// </summary>
public sealed class RecordResumeTests
{
    private sealed class Killed : Exception;

    /// <summary>Makes <paramref name="device"/> die at the <paramref name="nth"/> PFN or range it receives (1-based).</summary>
    private static void KillAt(BalloonDevice device, int nth)
    {
        var seen = 0;
        device.Observer = (_, _, _) =>
        {
            if (++seen == nth)
                throw new Killed();
        };
    }

    /// <summary>Worker B: a new device on the same guest memory, resuming from a dup of <paramref name="record"/>'s descriptor.</summary>
    private static (BalloonDevice Device, BalloonRecord Record) Restart(DeviceRig rig, BalloonRecord record, CapturingLogger? logger = null)
    {
        var device = new BalloonDevice(rig.Device.Options, logger) { Memory = rig.Memory };
        device.SetDriverFeatures(rig.Device.NegotiatedFeatures);
        var resumed = BalloonRecord.Open(FdProbe.Dup(record.Fd));
        device.AttachRecord(resumed, resume: true);
        return (device, resumed);
    }

    /// <summary>B takes over queue <paramref name="index"/> where the driver last saw buffers returned, replaying what A had popped.</summary>
    private static void TakeOver(DeviceRig rig, BalloonDevice device, int index)
    {
        var ring = index == BalloonQueue.Inflate ? rig.Inflate : rig.Deflate;
        var popped = (ushort)(rig.Device.GetQueue(index)!.NextAvail - ring.UsedIdx);
        device.AttachQueue(index, ring.CreateDevice(nextAvail: ring.UsedIdx));
        device.SetReplayWindow(index, popped);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resume_RestoresTheBalloonedSetTargetAndActual(bool sg)
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { ScatterGather = sg }, top: false);
        using var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        if (sg)
        {
            rig.Inflate.AddChain(Range(A + Page, (uint)(40 * Page)), Range(C, (uint)(64 * Page)));
            rig.Deflate.AddChain(Range(A + 10 * Page, (uint)(3 * Page)));
        }
        else
        {
            AddPfns(rig.Inflate, [.. Pfns(A + Page, 40), .. Pfns(C, 64)]);
            AddPfns(rig.Deflate, Pfns(A + 10 * Page, 3));
        }
        Assert.True(rig.Process(BalloonQueue.Inflate));
        Assert.True(rig.Process(BalloonQueue.Deflate));
        rig.Device.SetTargetPages(500);
        RecordMirrorTests.WriteActual(rig.Device, 101);

        var (b, resumed) = Restart(rig, record);
        using var _ = resumed;
        var configChanges = 0;
        b.ConfigChanged += () => configChanges++;

        Assert.Equal(101UL, b.BalloonedPages);
        Assert.Equal(RunsOf(rig.Device.IsBallooned, RigFrames), RunsOf(b.IsBallooned, RigFrames));
        AssertMirrors(b, resumed);
        Assert.Equal(500U, b.NumPages);
        Assert.Equal(101U, b.Actual);
        Assert.Equal(0, configChanges);
        Assert.Equal(0, b.Counters.BytesReleased);   // resuming releases nothing by itself
    }

    [Fact]
    public void ReleaseRecorded_ReleasesExactlyTheRecordedFrames()
    {
        // Frames recorded by a worker killed before it released them; every guest page holds its pattern.
        using var rig = Pfn(top: false);
        using var record = BalloonRecord.Create(RigFrames);
        record.SetRange(PfnOf(A + 2 * Page), 3);
        record.SetRange(PfnOf(B - 2 * Page), 5);                  // across the edge of regions A and B
        record.SetRange(PfnOf(HoleAfterB - Page), 4);             // last frame of B, then 3 in the hole after it
        record.SetRange(PfnOf(LowHole), 2);                       // only a hole
        record.SetRange(PfnOf(C + 63 * Page), 1);                 // the last frame of RAM
        rig.Device.AttachRecord(record, resume: true);

        var bytes = rig.Device.ReleaseRecorded();

        var released = new[] { (A + 2 * Page, 3UL), (B - 2 * Page, 5UL), (HoleAfterB - Page, 1UL), (C + 63 * Page, 1UL) };
        Assert.Equal(10 * (long)Page, bytes);
        rig.AssertReleased(released);
        Assert.Equal(1, rig.Logger.Warnings("5 recorded frames (the first at PFN 0x40) are not guest RAM now"));
        Assert.Equal(15UL, record.Count);   // the record is what it was: the frames in holes stay recorded
        rig.AssertNoErrors();
    }

    [Fact]
    public void ReleaseRecorded_WithoutARecordOrMemory_Throws()
    {
        using var rig = Pfn(top: false);
        var bare = new BalloonDevice(new BalloonDeviceOptions());
        using var record = BalloonRecord.Create(0);
        bare.AttachRecord(record, resume: true);

        Assert.Throws<InvalidOperationException>(() => rig.Device.ReleaseRecorded());
        Assert.Throws<InvalidOperationException>(() => bare.ReleaseRecorded());
    }

    [Theory]
    [InlineData(false, ReleasePolicy.Coalesce)]
    [InlineData(false, ReleasePolicy.PerPage)]
    [InlineData(true, ReleasePolicy.Coalesce)]
    public void Crash_MidInflate_NextWorkerReleasesWhatWasRecordedAndReplays(bool sg, ReleasePolicy release)
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { ScatterGather = sg, Release = release }, top: false);
        using var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        // Three buffers; A dies on the second element of the second one, having recorded the first buffer and one
        // element of the second, and released (coalesce: nothing yet; per-page: whole PFN buffers as it went).
        if (sg)
        {
            rig.Inflate.AddChain(Range(A, (uint)(8 * Page)));
            rig.Inflate.AddChain(Range(B, (uint)(4 * Page)), Range(C, (uint)(4 * Page)));
            rig.Inflate.AddChain(Range(C + 32 * Page, (uint)(2 * Page)));
        }
        else
        {
            AddPfns(rig.Inflate, Pfns(A, 8));
            AddPfns(rig.Inflate, [.. Pfns(B, 4), .. Pfns(C, 4)]);
            AddPfns(rig.Inflate, Pfns(C + 32 * Page, 2));
        }
        KillAt(rig.Device, sg ? 3 : 13);
        Assert.Throws<Killed>(() => rig.Process(BalloonQueue.Inflate));
        Assert.Equal(0, rig.Inflate.UsedIdx);
        Assert.Equal(12UL, record.Count);

        var logger = new CapturingLogger();
        var (b, resumed) = Restart(rig, record, logger);
        using var _ = resumed;
        Assert.Equal(12 * (long)Page, b.ReleaseRecorded());
        TakeOver(rig, b, BalloonQueue.Inflate);
        Assert.True(b.ProcessQueue(BalloonQueue.Inflate));

        Assert.Equal(3, DeviceRig.Used(rig.Inflate).Count);
        Assert.Equal(12, b.Counters.ReplayedPages);        // what A had done, seen again in the replayed buffers
        Assert.Equal(6, b.Counters.PagesInflated);         // what it had not
        Assert.Equal(0, b.Counters.TotalErrors);
        Assert.Equal(0, logger.Warnings("guest error"));
        Assert.Equal(18UL, b.BalloonedPages);
        AssertMirrors(b, resumed);
        rig.AssertMemoryReleased((A, 8), (B, 4), (C, 4), (C + 32 * Page, 2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Crash_MidDeflate_NextWorkerNeverReleasesADeflatedFrame(bool sg)
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { ScatterGather = sg }, top: false);
        using var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        if (sg)
            rig.Inflate.AddChain(Range(A, (uint)(16 * Page)));
        else
            AddPfns(rig.Inflate, Pfns(A, 16));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        // Two deflate buffers of 4 frames; A dies on the second one, having forgotten the first's frames.
        if (sg)
        {
            rig.Deflate.AddChain(Range(A, (uint)(4 * Page)));
            rig.Deflate.AddChain(Range(A + 4 * Page, (uint)(4 * Page)));
        }
        else
        {
            AddPfns(rig.Deflate, Pfns(A, 4));
            AddPfns(rig.Deflate, Pfns(A + 4 * Page, 4));
        }
        KillAt(rig.Device, sg ? 2 : 5);
        Assert.Throws<Killed>(() => rig.Process(BalloonQueue.Deflate));
        Assert.False(record.Test(PfnOf(A)));
        Assert.True(record.Test(PfnOf(A + 4 * Page)));
        // A frame out of the record is the guest's again: say it wrote it (it may not before its buffer is returned
        // under MUST_TELL_HOST, VIRTIO 1.2 §5.5.6.1; if it does anyway, the next worker must still not discard it).
        for (var gpa = A; gpa < A + 4 * Page; gpa += Page)
            rig.WritePattern(gpa);

        var (b, resumed) = Restart(rig, record);
        using var _ = resumed;
        Assert.Equal(12 * (long)Page, b.ReleaseRecorded());
        TakeOver(rig, b, BalloonQueue.Deflate);
        Assert.True(b.ProcessQueue(BalloonQueue.Deflate));

        Assert.Equal(2, DeviceRig.Used(rig.Deflate).Count);
        Assert.Equal(4, b.Counters.ReplayedPages);
        Assert.Equal(4, b.Counters.PagesDeflated);
        Assert.Equal(0, b.Counters.TotalErrors);
        Assert.Equal([new XBitmapRun(PfnOf(A + 8 * Page), 8)], resumed.Runs().ToList());
        AssertMirrors(b, resumed);
        rig.AssertMemoryReleased((A + 4 * Page, 12));
    }

    [Fact]
    public void Resume_AfterAReset_FindsAnEmptyBalloon()
    {
        using var rig = Pfn(top: false);
        using var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        AddPfns(rig.Inflate, Pfns(A, 10));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        rig.Device.SetTargetPages(10);
        RecordMirrorTests.WriteActual(rig.Device, 10);
        rig.Device.Reset();

        var (b, resumed) = Restart(rig, record);
        using var _ = resumed;

        Assert.Equal(0UL, b.BalloonedPages);
        Assert.Equal(0U, b.Actual);
        Assert.Equal(10U, b.NumPages);
        Assert.Equal(0, b.ReleaseRecorded());
    }
}
