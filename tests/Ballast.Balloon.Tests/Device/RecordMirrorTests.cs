using System.Buffers.Binary;
using System.Collections.Concurrent;
using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using static Ballast.Balloon.Tests.Device.DeviceRig;
using static Ballast.Balloon.Tests.Device.RecordChecks;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// A device with a <see cref="BalloonRecord"/> attached mirrors every change of its ballooned set, num_pages and
/// actual into it, and records each inflated frame before its memory is released (issue #12: a frame recorded as
/// ballooned may be released again by the next worker at any time).
/// </summary>
public sealed class RecordMirrorTests
{
    private static BalloonRecord Attach(DeviceRig rig)
    {
        var record = BalloonRecord.Create(0);
        rig.Device.AttachRecord(record, resume: false);
        return record;
    }

    [Theory]
    [InlineData(ReleasePolicy.Coalesce)]
    [InlineData(ReleasePolicy.PerPage)]
    public void Pfn_InflateAndDeflate_AreMirrored(ReleasePolicy release)
    {
        using var rig = Pfn(release, top: false);
        using var record = Attach(rig);

        AddPfns(rig.Inflate, [.. Pfns(A, 10), .. Pfns(B - 3 * Page, 6), PfnOf(C + 63 * Page), PfnOf(C)]);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        AssertMirrors(rig.Device, record);

        AddPfns(rig.Deflate, PfnOf(A + 3 * Page), PfnOf(B), PfnOf(C), PfnOf(C + Page));   // C + 1 page: not ballooned
        Assert.True(rig.Process(BalloonQueue.Deflate));
        AssertMirrors(rig.Device, record);

        AddPfns(rig.Inflate, [.. Pfns(A + 2 * Page, 4), PfnOf(B)]);   // partly ballooned already
        Assert.True(rig.Process(BalloonQueue.Inflate));
        AssertMirrors(rig.Device, record);
        Assert.Equal(17UL, record.Count);
    }

    [Fact]
    public void Sg_InflateAndDeflate_AreMirrored()
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { ScatterGather = true }, top: false);
        using var record = Attach(rig);

        rig.Inflate.AddChain(Range(B - 5 * Page, (uint)(9 * Page)), Range(C + 60 * Page, (uint)(4 * Page)), Range(A, (uint)Page));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        AssertMirrors(rig.Device, record);

        rig.Deflate.AddChain(Range(B - Page, (uint)(2 * Page)), Range(C + 62 * Page, (uint)(2 * Page)), Range(A + 8 * Page, (uint)Page));
        Assert.True(rig.Process(BalloonQueue.Deflate));
        AssertMirrors(rig.Device, record);

        rig.Inflate.AddChain(Range(B - 8 * Page, (uint)(16 * Page)));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        AssertMirrors(rig.Device, record);
        Assert.Equal(16UL + 2 + 1, record.Count);
    }

    [Theory]
    [InlineData(false, ReleasePolicy.Coalesce, false)]
    [InlineData(false, ReleasePolicy.PerPage, false)]
    [InlineData(true, ReleasePolicy.Coalesce, false)]
    [InlineData(true, ReleasePolicy.PerPage, false)]
    [InlineData(false, ReleasePolicy.Coalesce, true)]
    [InlineData(true, ReleasePolicy.Coalesce, true)]
    public void EveryFrame_IsRecordedBeforeItsRelease(bool sg, ReleasePolicy release, bool deferred)
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { ScatterGather = sg, Release = release, MustTellHost = deferred, DeferRelease = deferred }, top: false);
        using var record = Attach(rig);
        var released = 0;
        var unrecorded = new ConcurrentBag<ulong>();
        rig.Device.BeforeRelease = range =>
        {
            Interlocked.Increment(ref released);
            for (var gpa = range.GuestPhysAddr; gpa < range.GuestPhysAddr + range.Length; gpa += Page)
                if (!record.Test(gpa / Page))
                    unrecorded.Add(gpa);
        };

        if (sg)
            rig.Inflate.AddChain(Range(A, (uint)(20 * Page)), Range(C, (uint)(3 * Page)));
        else
            AddPfns(rig.Inflate, [.. Pfns(A, 20), .. Pfns(C, 3)]);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        rig.Device.WaitForReleases();

        Assert.True(released > 0);
        Assert.Empty(unrecorded);
        rig.AssertReleased((A, 20), (C, 3));
    }

    [Fact]
    public void Reset_ClearsTheRecordAndActual_KeepsTheTarget()
    {
        using var rig = Pfn(top: false);
        using var record = Attach(rig);
        rig.Device.SetTargetPages(40);
        AddPfns(rig.Inflate, Pfns(A, 30));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        WriteActual(rig.Device, 30);

        rig.Device.Reset();

        Assert.Equal(0UL, record.Count);
        Assert.Empty(record.Runs());
        Assert.Equal(40U, record.TargetPages);
        Assert.Equal(0U, record.ActualPages);
    }

    [Fact]
    public void TargetAndActual_AreMirrored()
    {
        using var rig = Pfn(top: false);
        using var record = Attach(rig);

        rig.Device.SetTargetPages(0x1234);
        WriteActual(rig.Device, 0x0102_0304);
        rig.Device.WriteConfig(5, [0xAA]);    // one byte of actual
        rig.Device.WriteConfig(0, [9, 9, 9, 9]);   // num_pages is the device's: ignored

        Assert.Equal(0x1234U, record.TargetPages);
        Assert.Equal(0x0102_AA04U, record.ActualPages);
        Assert.Equal(rig.Device.Actual, record.ActualPages);
    }

    [Fact]
    public void Attach_WithoutResume_WritesTheDeviceStateOverAStaleRecord()
    {
        using var rig = Pfn(top: false);
        AddPfns(rig.Inflate, [.. Pfns(A, 5), PfnOf(C)]);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        rig.Device.SetTargetPages(77);
        WriteActual(rig.Device, 6);
        using var record = BalloonRecord.Create(RigFrames);
        record.SetRange(PfnOf(B), 40);
        record.TargetPages = 1;

        rig.Device.AttachRecord(record, resume: false);

        AssertMirrors(rig.Device, record);
        Assert.Equal(77U, record.TargetPages);
        Assert.Equal(6U, record.ActualPages);
        Assert.Same(record, rig.Device.Record);
    }

    [Fact]
    public void Attach_Twice_Throws()
    {
        using var rig = Pfn(top: false);
        using var record = Attach(rig);
        using var other = BalloonRecord.Create(0);

        Assert.Throws<InvalidOperationException>(() => rig.Device.AttachRecord(other, resume: true));
    }

    [Fact]
    public void GuestMemory_Growing_GrowsTheRecord()
    {
        using var rig = Pfn(top: false);
        using var record = Attach(rig);
        Assert.True(record.FrameCapacity >= RigFrames);
        AddPfns(rig.Inflate, Pfns(C, 8));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        const ulong high = 64 * GiB;
        using var bigger = GuestMemory.CreateMemfd([(Ctl, CtlSize, 0), (high, 2 * MiB, CtlSize)], "ballast-record-growth");
        rig.Device.Memory = bigger;

        Assert.True(record.FrameCapacity >= (high + 2 * MiB) / Page);
        Assert.Equal([new Ballast.Bitmap.XBitmapRun(PfnOf(C), 8)], record.Runs().ToList());
        rig.Device.Memory = rig.Memory;
    }

    [Fact]
    public void FramesBeyondTheLargestRecord_AreNotRecorded()
    {
        // Top lies at 2^64 - 128 KiB: no flat bitmap reaches it. Frames there are simply not recorded (a restarted
        // worker forgets them, which never releases guest memory), and the host is told once.
        using var rig = Sg();
        using var record = Attach(rig);
        Assert.Equal(1, rig.Logger.Warnings("beyond the"));
        Assert.Equal(BalloonRecord.MaxFrameCapacity, record.FrameCapacity);

        rig.Inflate.AddChain(Range(Top, (uint)(4 * Page)), Range(A, (uint)(2 * Page)));
        Assert.True(rig.Process(BalloonQueue.Inflate));
        rig.Deflate.AddChain(Range(Top, (uint)Page));
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal([new Ballast.Bitmap.XBitmapRun(PfnOf(A), 2)], record.Runs().ToList());
        Assert.Equal(5UL, rig.Device.BalloonedPages);
        rig.AssertReleased((Top, 4), (A, 2));
        rig.AssertNoErrors();
    }

    internal static void WriteActual(BalloonDevice device, uint pages)
    {
        Span<byte> actual = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(actual, pages);
        device.WriteConfig(4, actual);
    }
}
