using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Malformed descriptor chains on the inflate queue (the queue reports them as <see cref="PopResult.BadChain"/>):
/// the device counts <see cref="BalloonError.BadChain"/>, logs it, returns the chain used with length 0 and goes
/// on with the next buffer. The bad chains point at valid pages, so a device that used them anyway would be
/// caught releasing B. Raw descriptors sit at the top of the table, clear of the builder's cursor.
/// </summary>
public sealed class BadChainTests
{
    private const int Size = 16;

    /// <summary>Four valid-looking pages at B, as a PFN array or an SG range.</summary>
    private static BufferSegment Payload(DeviceRig rig, bool sg) =>
        sg ? Range(B, (uint)(4 * Page)) : PfnArray(rig.Inflate, Pfns(B, 4));

    private static ushort Flags(BufferSegment s, ushort more = 0) =>
        (ushort)((s.DeviceWritable ? Descriptor.FlagWrite : 0) | more);

    private static DeviceRig NewRig(bool sg, bool indirect = true)
    {
        var options = new BalloonDeviceOptions { ScatterGather = sg };
        var features = new BalloonDevice(options).OfferedFeatures;
        if (!indirect)
            features &= ~VirtioFeatures.Bit(VirtioFeatures.IndirectDesc);
        return new DeviceRig(options, features, Size);
    }

    /// <summary>Publishes a good buffer after the bad one, processes, and checks the outcome.</summary>
    private static void AssertSkipped(DeviceRig rig, bool sg, ushort badHead)
    {
        var good = rig.Inflate.AddChain(sg ? Range(A + 5 * Page, (uint)(2 * Page)) : PfnArray(rig.Inflate, Pfns(A + 5 * Page, 2)));

        Assert.True(rig.Process(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(badHead, 0), new UsedElement(good, 0)], Used(rig.Inflate));
        Assert.Equal(1, rig.Counters.Buffers);
        Assert.False(rig.Device.IsBallooned(PfnOf(B)));
        rig.AssertReleased((A + 5 * Page, 2));
        rig.AssertOnlyError(BalloonError.BadChain);
    }

    [Theory]
    [InlineData(false, (ushort)Size)]
    [InlineData(true, (ushort)(Size + 3))]
    [InlineData(false, ushort.MaxValue)]
    public void Inflate_SkipsChainWithNextIndexBeyondQueueSize(bool sg, ushort next)
    {
        // §2.7.5: "The number of descriptors in the table is defined by the queue size for this virtqueue".
        using var rig = NewRig(sg);
        var p = Payload(rig, sg);
        rig.Inflate.SetDescriptor(Size - 1, p.Address, p.Length, Flags(p, Descriptor.FlagNext), next);
        rig.Inflate.Publish(Size - 1);

        AssertSkipped(rig, sg, Size - 1);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains(nameof(ChainError.DescriptorIndexOutOfRange), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_SkipsLoopingChain(bool sg)
    {
        // §2.7.5.2: "... this implies that loops in the descriptor chain are forbidden!"
        using var rig = NewRig(sg);
        var p = Payload(rig, sg);
        rig.Inflate.SetDescriptor(Size - 1, p.Address, p.Length, Flags(p, Descriptor.FlagNext), Size - 2);
        rig.Inflate.SetDescriptor(Size - 2, p.Address, p.Length, Flags(p, Descriptor.FlagNext), Size - 1);
        rig.Inflate.Publish(Size - 1);

        AssertSkipped(rig, sg, Size - 1);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains(nameof(ChainError.ChainTooLong), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_SkipsSelfLoop(bool sg)
    {
        using var rig = NewRig(sg);
        var p = Payload(rig, sg);
        rig.Inflate.SetDescriptor(Size - 1, p.Address, p.Length, Flags(p, Descriptor.FlagNext), Size - 1);
        rig.Inflate.Publish(Size - 1);

        AssertSkipped(rig, sg, Size - 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_SkipsChainLongerThanQueueSize(bool sg)
    {
        // §2.7.5.2: "Drivers MUST NOT create a descriptor chain longer than the Queue Size of the device".
        // Direct descriptors cannot do it without a loop; an indirect table can.
        using var rig = NewRig(sg);
        var p = Payload(rig, sg);
        var entries = new Descriptor[Size + 1];
        for (var i = 0; i < entries.Length; i++)
            entries[i] = new Descriptor(p.Address, p.Length, Flags(p, i + 1 < entries.Length ? Descriptor.FlagNext : (ushort)0), (ushort)(i + 1));
        var table = rig.Inflate.AllocateBuffer((uint)(entries.Length * Descriptor.Size));
        rig.Inflate.WriteDescriptors(table, entries);
        rig.Inflate.SetDescriptor(Size - 1, table, (uint)(entries.Length * Descriptor.Size), Descriptor.FlagIndirect);
        rig.Inflate.Publish(Size - 1);

        AssertSkipped(rig, sg, Size - 1);
    }

    public static TheoryData<bool, string> BadIndirectTables => new()
    {
        { false, "length 0" }, { true, "length 0" },
        { false, "length 24" }, { true, "length 24" },
        { false, "outside RAM" }, { true, "outside RAM" },
        { false, "crossing region end" },
        { false, "nested" }, { true, "nested" },
        { false, "with next" }, { true, "with next" },
        { false, "loop inside table" }, { true, "loop inside table" },
        { false, "next beyond table" }, { true, "next beyond table" },
    };

    [Theory]
    [MemberData(nameof(BadIndirectTables))]
    public void Inflate_SkipsBadIndirectTable(bool sg, string kind)
    {
        // §2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor",
        // "MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT in flags"; len is a whole table.
        using var rig = NewRig(sg);
        var p = Payload(rig, sg);
        var table = rig.Inflate.AllocateBuffer(4 * Descriptor.Size);
        var last = new Descriptor(p.Address, p.Length, Flags(p), 0);
        var linked = new Descriptor(p.Address, p.Length, Flags(p, Descriptor.FlagNext), 1);
        rig.Inflate.WriteDescriptors(table, [linked, last]);
        var (address, length, flags) = (table, 2u * Descriptor.Size, Descriptor.FlagIndirect);
        switch (kind)
        {
            case "length 0": length = 0; break;
            case "length 24": length = 24; break;
            case "outside RAM": address = LowHole; break;
            case "crossing region end": address = CtlSize - Descriptor.Size; break;
            case "nested": rig.Inflate.WriteDescriptors(table, [linked, new Descriptor(table, 32, Descriptor.FlagIndirect, 0)]); break;
            case "with next": flags |= Descriptor.FlagNext; break;
            case "loop inside table": rig.Inflate.WriteDescriptors(table, [linked, linked with { Next = 0 }]); break;
            case "next beyond table": rig.Inflate.WriteDescriptors(table, [linked with { Next = 2 }, last]); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        rig.Inflate.SetDescriptor(Size - 1, address, length, flags, Size - 2);
        rig.Inflate.SetDescriptor(Size - 2, p.Address, p.Length, Flags(p));
        rig.Inflate.Publish(Size - 1);

        AssertSkipped(rig, sg, Size - 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inflate_SkipsIndirectTableWhenNotNegotiated(bool sg)
    {
        // §2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag unless the VIRTIO_F_INDIRECT_DESC
        // feature was negotiated".
        using var rig = NewRig(sg, indirect: false);
        var table = rig.Inflate.AllocateBuffer(Descriptor.Size);
        var head = rig.Inflate.AddIndirect(table, Payload(rig, sg));

        AssertSkipped(rig, sg, head);
        Assert.Contains(rig.Logger.Entries, e => e.Message.Contains(nameof(ChainError.IndirectNotNegotiated), StringComparison.Ordinal));
    }

    [Fact]
    public void Deflate_SkipsBadChainAndForgetsNothing()
    {
        using var rig = NewRig(sg: false);
        AddPfns(rig.Inflate, Pfns(B, 4));
        rig.Process(BalloonQueue.Inflate);
        var p = PfnArray(rig.Deflate, Pfns(B, 4));
        rig.Deflate.SetDescriptor(Size - 1, p.Address, p.Length, Descriptor.FlagNext, Size - 1);
        rig.Deflate.Publish(Size - 1);

        Assert.True(rig.Process(BalloonQueue.Deflate));

        Assert.Equal([new UsedElement(Size - 1, 0)], Used(rig.Deflate));
        Assert.Equal(4UL, rig.Device.BalloonedPages);
        rig.AssertReleased((B, 4));
        rig.AssertOnlyError(BalloonError.BadChain);
    }
}
