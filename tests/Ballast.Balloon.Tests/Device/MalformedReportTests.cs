using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Hostile reports: every block is checked like an SG range (0 &lt; len, 4 KiB aligned, entirely RAM, no wrap); a bad
/// one is counted, logged (rate-limited) and skipped, the good ones of the same buffer are still released, and the
/// buffer is always returned. Nothing outside guest RAM is ever released.
/// </summary>
public sealed class MalformedReportTests
{
    private static DeviceRig Rig() => new(new BalloonDeviceOptions { PageReporting = true });

    public static TheoryData<string, ulong, uint, BalloonError> BadBlocks => new()
    {
        { "unaligned address", A + 512, (uint)Page, BalloonError.ReportUnaligned },
        { "unaligned length", A, (uint)Page + 1, BalloonError.ReportUnaligned },
        { "longer than 4 GiB - 4 KiB", A, uint.MaxValue, BalloonError.ReportUnaligned },
        { "zero length", A, 0, BalloonError.ReportZeroLength },
        { "in a hole", LowHole, (uint)Page, BalloonError.ReportOutsideRam },
        { "running into a hole", B + RegionSize - Page, (uint)(2 * Page), BalloonError.ReportOutsideRam },
        { "beyond the end of RAM", Top + TopSize, (uint)Page, BalloonError.ReportOutsideRam },
        { "wrapping the 64-bit space", Top + TopSize - Page, (uint)(0x2_0000 + Page), BalloonError.ReportOutsideRam },
    };

    [Theory]
    [MemberData(nameof(BadBlocks))]
    public void ABadBlock_IsSkippedAndCounted_TheGoodOnesAroundItReleased_TheBufferReturned(string what, ulong gpa, uint length, BalloonError kind)
    {
        using var rig = Rig();
        var head = rig.Reporting!.AddChain(Range(A + 8 * Page, (uint)Page), Range(gpa, length), Range(C, (uint)(2 * Page)));

        Assert.True(rig.Process(rig.ReportingIndex), what);

        Assert.Equal([new UsedElement(head, 0)], Used(rig.Reporting));
        rig.AssertReleased((A + 8 * Page, 1), (C, 2));
        rig.AssertOnlyError(kind);
        Assert.Equal(1, rig.Counters.ReportMalformedEntries);
        Assert.Equal(2, rig.Counters.ReportedEntries);
        Assert.Equal(0UL, rig.Device.BalloonedPages);
    }

    [Fact]
    public void ManyBadBlocks_AreLoggedRateLimited()
    {
        using var rig = Rig();
        for (var i = 0; i < 2; i++)
            rig.Reporting!.AddChain([.. Enumerable.Repeat(Range(A + 1, (uint)Page), 8)]);

        rig.Process(rig.ReportingIndex);

        rig.AssertOnlyError(BalloonError.ReportUnaligned, 16);   // ten warnings, then quiet
        rig.AssertNothingReleased();
        Assert.Equal(2, Used(rig.Reporting!).Count);
    }

    [Fact]
    public void AChainLongerThanTheQueue_IsRejectedWhole_AndReturned()
    {
        // §2.7.5.2: "Drivers MUST NOT create a descriptor chain longer than the Queue Size of the device": a loop is one.
        using var rig = Rig();
        var ring = rig.Reporting!;
        ring.SetDescriptor(0, A, (uint)Page, (ushort)(Descriptor.FlagWrite | Descriptor.FlagNext), next: 1);
        ring.SetDescriptor(1, A + Page, (uint)Page, (ushort)(Descriptor.FlagWrite | Descriptor.FlagNext), next: 0);
        ring.Publish(0);

        Assert.True(rig.Process(rig.ReportingIndex));

        Assert.Equal([new UsedElement(0, 0)], Used(ring));
        rig.AssertOnlyError(BalloonError.BadChain);
        Assert.Equal(1, rig.Counters.Reports);
        Assert.Equal(0, rig.Counters.ReportedEntries);
        rig.AssertNothingReleased();
    }

    [Fact]
    public void ABudgetedPass_StopsWithMoreAvailable_AndTheNextPassFinishes()
    {
        using var rig = Rig();
        for (var i = 0; i < 5; i++)
            rig.Reporting!.AddChain(Range(A + (ulong)i * Page, (uint)Page));

        Assert.Equal(Ballast.Virtio.QueueProgress.MoreAvailable, rig.Device.ProcessQueue(rig.ReportingIndex, 2));
        Assert.Equal(2, Used(rig.Reporting!).Count);
        Assert.True(rig.Process(rig.ReportingIndex));
        Assert.Equal(3, Used(rig.Reporting!).Count);
        rig.AssertReleased((A, 5));
    }
}
