using Ballast.Balloon.Device;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// <see cref="BalloonDevice.SetReplayWindow"/>: after a worker restart the ring hands out again the buffers the killed
/// worker had taken and not returned. Inside the window, frames already ballooned (inflate) or not ballooned
/// (deflate) are that worker's work, counted as <see cref="BalloonCounters.ReplayedPages"/>, with no guest error
/// counted or logged; the frames of a replayed inflate are released again (the killed worker may have died between
/// recording and releasing them), nothing else changes for them. After the window they are guest errors again.
/// </summary>
public sealed class ReplayWindowTests
{
    private static DeviceRig Rig(bool sg) => new(new BalloonDeviceOptions { ScatterGather = sg }, top: false);

    private static void AddInflate(DeviceRig rig, bool sg, ulong gpa, int pages)
    {
        if (sg)
            rig.Inflate.AddChain(Range(gpa, (uint)pages * (uint)Page));
        else
            AddPfns(rig.Inflate, Pfns(gpa, pages));
    }

    private static void AddDeflate(DeviceRig rig, bool sg, ulong gpa, int pages)
    {
        if (sg)
            rig.Deflate.AddChain(Range(gpa, (uint)pages * (uint)Page));
        else
            AddPfns(rig.Deflate, Pfns(gpa, pages));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_ReplayedInsideTheWindow_CountsNoError_AndReleasesItsFramesAgain(bool sg)
    {
        using var rig = Rig(sg);
        AddInflate(rig, sg, A, 8);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        var bytes = rig.Counters.BytesReleased;

        rig.Device.SetReplayWindow(BalloonQueue.Inflate, 1);
        AddInflate(rig, sg, A, 8);
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(8, rig.Counters.ReplayedPages);
        Assert.Equal(8, rig.Counters.PagesInflated);
        Assert.Equal(2 * bytes, rig.Counters.BytesReleased);
        Assert.Equal(8UL, rig.Device.BalloonedPages);
        Assert.Equal(2, Used(rig.Inflate).Count);
        Assert.Equal(0, rig.Device.ReplayChainsLeft(BalloonQueue.Inflate));
        rig.AssertMemoryReleased((A, 8));
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_AfterTheWindow_IsADoubleInflateAgain(bool sg)
    {
        using var rig = Rig(sg);
        AddInflate(rig, sg, C, 4);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        rig.Device.SetReplayWindow(BalloonQueue.Inflate, 1);

        AddInflate(rig, sg, C, 4);
        AddInflate(rig, sg, C, 4);
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(4, rig.Counters.ReplayedPages);
        rig.AssertOnlyError(BalloonError.DoubleInflate);
        // Released when first inflated, again in the replay; not for the double inflate after the window.
        Assert.Equal(2 * 4 * (long)Page, rig.Counters.BytesReleased);
        rig.AssertMemoryReleased((C, 4));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_ReplayWithNewFrames_InflatesThoseAsUsual(bool sg)
    {
        // The killed worker had handled the first half of the buffer when it died.
        using var rig = Rig(sg);
        AddInflate(rig, sg, B, 3);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        rig.Device.SetReplayWindow(BalloonQueue.Inflate, 1);

        AddInflate(rig, sg, B, 6);
        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(3, rig.Counters.ReplayedPages);
        Assert.Equal(6, rig.Counters.PagesInflated);
        // The first three twice (first inflate, replay), the new three once.
        Assert.Equal((3 + 6) * (long)Page, rig.Counters.BytesReleased);
        rig.AssertMemoryReleased((B, 6));
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deflate_ReplayedInsideTheWindow_CountsNoErrorAndChangesNothing(bool sg)
    {
        using var rig = Rig(sg);
        AddInflate(rig, sg, A, 8);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        AddDeflate(rig, sg, A, 4);
        Assert.True(rig.Process(BalloonQueue.Deflate));

        rig.Device.SetReplayWindow(BalloonQueue.Deflate, 1);
        AddDeflate(rig, sg, A, 4);
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal(4, rig.Counters.ReplayedPages);
        Assert.Equal(4, rig.Counters.PagesDeflated);
        Assert.Equal(4UL, rig.Device.BalloonedPages);
        Assert.Equal(2, Used(rig.Deflate).Count);
        rig.AssertReleased((A, 8));
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deflate_AfterTheWindow_IsANotBalloonedErrorAgain(bool sg)
    {
        using var rig = Rig(sg);
        rig.Device.SetReplayWindow(BalloonQueue.Deflate, 2);

        AddDeflate(rig, sg, A, 2);
        AddDeflate(rig, sg, A, 2);
        AddDeflate(rig, sg, A, 2);
        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal(4, rig.Counters.ReplayedPages);
        rig.AssertOnlyError(BalloonError.DeflateNotBallooned);
    }

    [Fact]
    public void Window_IsPerQueue_AndCountsEveryChainTaken()
    {
        using var rig = Rig(sg: false);
        rig.Device.SetReplayWindow(BalloonQueue.Inflate, 3);
        rig.Device.SetReplayWindow(BalloonQueue.Deflate, 1);
        AddPfns(rig.Inflate, PfnOf(A));
        AddPfns(rig.Inflate, PfnOf(A));   // a replay of the first

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal(1, rig.Device.ReplayChainsLeft(BalloonQueue.Inflate));
        Assert.Equal(1, rig.Device.ReplayChainsLeft(BalloonQueue.Deflate));
        Assert.Equal(1, rig.Counters.ReplayedPages);
        rig.AssertNoErrors();
    }

    [Fact]
    public void Reset_ClosesTheWindow()
    {
        using var rig = Rig(sg: false);
        rig.Device.SetReplayWindow(BalloonQueue.Inflate, 5);
        rig.Device.SetReplayWindow(BalloonQueue.Deflate, 5);

        rig.Device.Reset();

        Assert.Equal(0, rig.Device.ReplayChainsLeft(BalloonQueue.Inflate));
        Assert.Equal(0, rig.Device.ReplayChainsLeft(BalloonQueue.Deflate));
    }

    [Fact]
    public void Window_OnlyForInflateAndDeflate()
    {
        using var rig = Rig(sg: false);

        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Device.SetReplayWindow(BalloonQueue.Stats, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Device.SetReplayWindow(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Device.SetReplayWindow(BalloonQueue.Inflate, -1));
    }
}
