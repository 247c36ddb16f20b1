// Over 400 lines on purpose: a catalogue, one test per driver requirement of VIRTIO 1.2 §2.7.5 and §2.7.7, read as a list.
using Ballast.TestKit;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// Malformed descriptor chains written by a hostile driver: each pops as <see cref="PopResult.BadChain"/> with
/// the right <see cref="ChainError"/>, nothing throws, the queue does not break, and the next good chain pops
/// fine. Each test quotes the VIRTIO 1.2 requirement the driver broke.
/// </summary>
public sealed class DeviceQueueMalformedChainTests
{
    private const int Size = 8;
    private static readonly ulong IndirectFeature = VirtioFeatures.Bit(VirtioFeatures.IndirectDesc);

    [Theory]
    [InlineData((ushort)Size)]
    [InlineData((ushort)(Size + 1))]
    [InlineData(ushort.MaxValue)]
    public void TryPop_RejectsNextIndexBeyondQueueSize(ushort next)
    {
        // §2.7.5: "The number of descriptors in the table is defined by the queue size for this virtqueue".
        using var ring = new RingBuilder(Size);
        ring.SetDescriptor(2, ring.Readable(16).Address, 16, Descriptor.FlagNext, 5);
        ring.SetDescriptor(5, ring.Readable(16).Address, 16, Descriptor.FlagNext, next);
        ring.Publish(2);

        var bad = PopBad(ring, ChainError.DescriptorIndexOutOfRange, out var device);

        Assert.Equal(2, bad.Head);
        Assert.Equal(2, bad.Count); // both descriptors were read before the bad link
        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_IgnoresNextFieldWithoutNextFlag()
    {
        using var ring = new RingBuilder(Size);
        ring.SetDescriptor(0, ring.Readable(16).Address, 16, 0, 0xffff);
        ring.Publish(0);
        var device = ring.CreateDevice();

        Assert.Equal(PopResult.Chain, device.TryPop(new Descriptor[Size], out var chain));

        Assert.Equal(1, chain.Count);
    }

    [Fact]
    public void TryPop_RejectsTwoDescriptorLoop()
    {
        // §2.7.5.2: "Drivers MUST NOT add a descriptor chain longer than 2^32 bytes in total; this implies that
        // loops in the descriptor chain are forbidden!"
        using var ring = new RingBuilder(Size);
        ring.SetDescriptor(1, ring.Readable(16).Address, 16, Descriptor.FlagNext, 4);
        ring.SetDescriptor(4, ring.Readable(16).Address, 16, Descriptor.FlagNext, 1);
        ring.Publish(1);

        var bad = PopBad(ring, ChainError.ChainTooLong, out var device);

        Assert.Equal(Size, bad.Count); // stopped at the limit, not spinning
        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_RejectsSelfLoop()
    {
        // §2.7.5.2: "... this implies that loops in the descriptor chain are forbidden!"
        using var ring = new RingBuilder(Size);
        ring.SetDescriptor(3, ring.Readable(16).Address, 16, Descriptor.FlagNext, 3);
        ring.Publish(3);

        var bad = PopBad(ring, ChainError.ChainTooLong, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_RejectsLoopThroughTheWholeTable()
    {
        using var ring = new RingBuilder(Size);
        for (var i = 0; i < Size; i++)
            ring.SetDescriptor(i, ring.Readable(8).Address, 8, Descriptor.FlagNext, (ushort)((i + 1) % Size));
        ring.Publish(6);

        var bad = PopBad(ring, ChainError.ChainTooLong, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_AcceptsChainOfExactlyQueueSize()
    {
        // §2.7.5: the table size "is the maximum possible descriptor chain length".
        using var ring = new RingBuilder(Size);
        var segments = Enumerable.Range(0, Size).Select(i => ring.Readable(8, (byte)i)).ToArray();
        var head = ring.AddChain(segments);
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];

        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));

        Assert.Equal(new Chain(head, Size, ChainError.None), chain);
        Assert.Equal(segments.Select(s => s.Address), descriptors.Select(d => d.Address));
    }

    [Fact]
    public void TryPop_RejectsDirectPlusIndirectChainLongerThanQueueSize()
    {
        // §2.7.5.3.1: "A driver MUST NOT create a descriptor chain longer than the Queue Size of the device."
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer(16 * 6);
        ring.WriteDescriptors(table, Entries(ring, 6));
        ring.SetDescriptor(0, ring.Readable(8).Address, 8, Descriptor.FlagNext, 1);
        ring.SetDescriptor(1, ring.Readable(8).Address, 8, Descriptor.FlagNext, 2);
        ring.SetDescriptor(2, ring.Readable(8).Address, 8, Descriptor.FlagNext, 3);
        ring.SetDescriptor(3, table, 16 * 6, Descriptor.FlagIndirect);   // 3 direct + 6 indirect = 9 > 8
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.ChainTooLong, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Theory]
    [InlineData(Size, true)]
    [InlineData(Size + 1, false)]
    [InlineData(4096, false)]
    public void TryPop_BoundsIndirectTableByQueueSize(int entries, bool accepted)
    {
        // §2.7.5.3.1: "A driver MUST NOT create a descriptor chain longer than the Queue Size of the device."
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer((uint)(16 * entries));
        ring.WriteDescriptors(table, Entries(ring, entries));
        ring.SetDescriptor(0, table, (uint)(16 * entries), Descriptor.FlagIndirect);
        ring.Publish(0);
        var device = ring.CreateDevice();

        var result = device.TryPop(new Descriptor[Size], out var chain);

        Assert.Equal(accepted ? PopResult.Chain : PopResult.BadChain, result);
        Assert.Equal(accepted ? ChainError.None : ChainError.ChainTooLong, chain.Error);
        AssertQueueStillWorks(ring, device, chain);
    }

    [Fact]
    public void TryPop_RejectsChainLongerThanCallersSpan()
    {
        using var ring = new RingBuilder(Size);
        ring.AddChain(ring.Readable(8), ring.Readable(8), ring.Readable(8));
        var device = ring.CreateDevice();

        Assert.Equal(PopResult.BadChain, device.TryPop(new Descriptor[2], out var chain));

        Assert.Equal(ChainError.ChainTooLong, chain.Error);
        Assert.Equal(2, chain.Count);
    }

    [Fact]
    public void TryPop_RejectsIndirectWithoutTheFeature()
    {
        // §2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag unless the VIRTIO_F_INDIRECT_DESC
        // feature was negotiated."
        using var ring = new RingBuilder(Size, features: 0);
        var table = ring.AllocateBuffer(32);
        ring.AddIndirect(table, ring.Readable(8), ring.Writable(8));

        var bad = PopBad(ring, ChainError.IndirectNotNegotiated, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Theory]
    [InlineData(0U)]
    [InlineData(8U)]
    [InlineData(15U)]
    [InlineData(24U)]
    [InlineData(33U)]
    public void TryPop_RejectsIndirectTableLengthNotAMultipleOf16(uint length)
    {
        // §2.7.5.3: "addr and len refer to the indirect table address and length in bytes", a table of
        // "struct virtq_desc desc[len / 16]": an empty or ragged table is not one.
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer(64);
        ring.WriteDescriptors(table, Entries(ring, 4));
        ring.SetDescriptor(0, table, length, Descriptor.FlagIndirect);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.IndirectBadLength, out var device);

        Assert.Equal(0, bad.Count);
        AssertQueueStillWorks(ring, device, bad);
    }

    public static TheoryData<ulong, uint> TablesOutsideRam => new()
    {
        { RingBuilder.DefaultRamBytes, 32 },                    // beyond the end of RAM
        { RingBuilder.DefaultRamBytes - 16, 32 },               // crosses the end of RAM
        { GuestMemory.LowHoleStart, 16 },                       // in the hole
        { GuestMemory.LowHoleEnd - 16, 16 },                    // last entry of the hole
        { GuestMemory.LowHoleStart - 16, 32 },                  // crosses a region end into the hole
        { GuestMemory.LowHoleEnd - 16, 32 },                    // crosses the hole into a region
        { 8 * GiB, 16 },                                        // far beyond
        { ulong.MaxValue - 15, 32 },                            // wraps 2^64
        { ulong.MaxValue - 15, 16 },                            // the last 16 bytes of the address space
    };

    [Theory]
    [MemberData(nameof(TablesOutsideRam))]
    public void TryPop_RejectsIndirectTableOutsideRam(ulong table, uint length)
    {
        // §2.7.5.3: the driver "can store a table of indirect descriptors anywhere in memory" — in guest RAM.
        using var ring = new RingBuilder(Size, IndirectFeature);
        ring.SetDescriptor(0, table, length, Descriptor.FlagIndirect);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.IndirectOutsideRam, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_RejectsIndirectTableSpanningTwoAdjacentRegions()
    {
        // Adjacent regions are contiguous guest RAM but two host mappings; a table must lie in one of them.
        using var memory = GuestMemory.CreateMemfd(MultiRegion);
        using var ring = new RingBuilder(Size, IndirectFeature, memory, ringArea: C, bufferArea: C + 0x8000);
        ring.WriteDescriptors(B - 16, Entries(ring, 1));
        ring.WriteDescriptors(B, Entries(ring, 1));
        ring.SetDescriptor(0, B - 16, 32, Descriptor.FlagIndirect);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.IndirectOutsideRam, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_AcceptsIndirectTableInAHighRegion()
    {
        using var memory = GuestMemory.CreateMemfd(MultiRegion);
        using var ring = new RingBuilder(Size, IndirectFeature, memory, ringArea: C, bufferArea: E);
        var segments = new[] { ring.Readable(8, 1), ring.Writable(8) };
        ring.AddIndirect(E + RegionSize - 32, segments);
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];

        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));

        Assert.Equal(2, chain.Count);
        Assert.Equal(segments.Select(s => (s.Address, s.Length, s.DeviceWritable)),
            descriptors[..2].Select(d => (d.Address, d.Length, d.IsWriteOnly)));
    }

    [Fact]
    public void TryPop_RejectsNestedIndirect()
    {
        // §2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor
        // (ie. only one table per descriptor)."
        using var ring = new RingBuilder(Size, IndirectFeature);
        var inner = ring.AllocateBuffer(16);
        ring.WriteDescriptors(inner, Entries(ring, 1));
        var outer = ring.AllocateBuffer(32);
        ring.WriteDescriptors(outer,
        [
            new Descriptor(ring.Readable(8).Address, 8, Descriptor.FlagNext, 1),
            new Descriptor(inner, 16, Descriptor.FlagIndirect, 0),
        ]);
        ring.SetDescriptor(0, outer, 32, Descriptor.FlagIndirect);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.IndirectNested, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_RejectsIndirectWithNext()
    {
        // §2.7.5.3.1: "A driver MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT in flags."
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer(16);
        ring.WriteDescriptors(table, Entries(ring, 1));
        ring.SetDescriptor(0, table, 16, Descriptor.FlagIndirect | Descriptor.FlagNext, 1);
        ring.SetDescriptor(1, ring.Readable(8).Address, 8);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.IndirectWithNext, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Theory]
    [InlineData((ushort)2)]        // = number of entries
    [InlineData((ushort)Size)]     // inside the queue size but outside the table
    [InlineData(ushort.MaxValue)]
    public void TryPop_RejectsIndirectEntryNextBeyondTheTable(ushort next)
    {
        // §2.7.5.3: "struct virtq_desc desc[len / 16]" — next indexes that table.
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer(32);
        ring.WriteDescriptors(table,
        [
            new Descriptor(ring.Readable(8).Address, 8, Descriptor.FlagNext, 1),
            new Descriptor(ring.Readable(8).Address, 8, Descriptor.FlagNext, next),
        ]);
        ring.SetDescriptor(0, table, 32, Descriptor.FlagIndirect);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.DescriptorIndexOutOfRange, out var device);

        AssertQueueStillWorks(ring, device, bad);
    }

    [Theory]
    [InlineData(1, 0, 0)]    // 0 → 1 → 0
    [InlineData(0, 0, 0)]    // 0 → 0
    [InlineData(1, 2, 1)]    // 0 → 1 → 2 → 1
    public void TryPop_RejectsLoopInsideIndirectTable(int next0, int next1, int next2)
    {
        // §2.7.5.2: "... this implies that loops in the descriptor chain are forbidden!"
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer(48);
        ring.WriteDescriptors(table,
        [
            new Descriptor(ring.Readable(8).Address, 8, Descriptor.FlagNext, (ushort)next0),
            new Descriptor(ring.Readable(8).Address, 8, Descriptor.FlagNext, (ushort)next1),
            new Descriptor(ring.Readable(8).Address, 8, Descriptor.FlagNext, (ushort)next2),
        ]);
        ring.SetDescriptor(0, table, 48, Descriptor.FlagIndirect);
        ring.Publish(0);

        var bad = PopBad(ring, ChainError.ChainTooLong, out var device);

        Assert.Equal(3, bad.Count); // no more steps than the table has entries
        AssertQueueStillWorks(ring, device, bad);
    }

    [Fact]
    public void TryPop_AcceptsDirectDescriptorsFollowedByIndirect()
    {
        // §2.7.5.3.2: "The device MUST handle the case of zero or more normal chained descriptors followed by a
        // single descriptor with flags&VIRTQ_DESC_F_INDIRECT."
        using var ring = new RingBuilder(Size, IndirectFeature);
        var a = ring.Readable(8, 1);
        var b = ring.Readable(8, 2);
        var c = ring.Writable(8);
        var d = ring.Writable(8);
        var table = ring.AllocateBuffer(32);
        ring.WriteDescriptors(table,
        [
            new Descriptor(c.Address, 8, Descriptor.FlagWrite | Descriptor.FlagNext, 1),
            new Descriptor(d.Address, 8, Descriptor.FlagWrite, 0),
        ]);
        ring.SetDescriptor(5, a.Address, 8, Descriptor.FlagNext, 2);
        ring.SetDescriptor(2, b.Address, 8, Descriptor.FlagNext, 7);
        ring.SetDescriptor(7, table, 32, Descriptor.FlagIndirect);
        ring.Publish(5);
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];

        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));

        Assert.Equal(new Chain(5, 4, ChainError.None), chain);
        Assert.Equal([a.Address, b.Address, c.Address, d.Address], descriptors[..4].Select(x => x.Address));
        Assert.Equal([false, false, true, true], descriptors[..4].Select(x => x.IsWriteOnly));
        Assert.All(descriptors[..4], x => Assert.False(x.IsIndirect));
    }

    [Fact]
    public void TryPop_IgnoresWriteFlagOnTheIndirectDescriptor()
    {
        // §2.7.5.3.2: "The device MUST ignore the write-only flag (flags&VIRTQ_DESC_F_WRITE) in the descriptor that
        // refers to an indirect table."
        using var ring = new RingBuilder(Size, IndirectFeature);
        var table = ring.AllocateBuffer(16);
        var readable = ring.Readable(8);
        ring.WriteDescriptors(table, [new Descriptor(readable.Address, 8, 0, 0)]);
        ring.SetDescriptor(0, table, 16, Descriptor.FlagIndirect | Descriptor.FlagWrite);
        ring.Publish(0);
        var device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];

        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var chain));

        Assert.Equal(1, chain.Count);
        Assert.False(descriptors[0].IsWriteOnly);
    }

    /// <summary>Pops one chain from a fresh device over <paramref name="ring"/>, expecting it to be rejected.</summary>
    private static Chain PopBad(RingBuilder ring, ChainError expected, out DeviceQueue device)
    {
        device = ring.CreateDevice();
        var descriptors = new Descriptor[Size];

        var result = device.TryPop(descriptors, out var chain);

        Assert.Equal(PopResult.BadChain, result);
        Assert.Equal(expected, chain.Error);
        Assert.InRange(chain.Count, 0, Size);
        Assert.False(device.IsBroken);
        Assert.Null(device.BrokenReason);
        Assert.Equal(1, device.Popped);
        return chain;
    }

    /// <summary>Returns <paramref name="bad"/> with length 0, then offers a good chain and expects it to pop and come back.</summary>
    private static void AssertQueueStillWorks(RingBuilder ring, DeviceQueue device, Chain bad)
    {
        device.PushUsed(bad.Head, 0);
        var readable = ring.Readable(24, 0x42);
        var writable = ring.Writable(40);
        var head = ring.AddChain(readable, writable);
        var descriptors = new Descriptor[Size];

        Assert.Equal(PopResult.Chain, device.TryPop(descriptors, out var good));
        Assert.Equal(new Chain(head, 2, ChainError.None), good);
        Assert.Equal(new Descriptor(readable.Address, 24, Descriptor.FlagNext, descriptors[0].Next), descriptors[0]);
        Assert.Equal((writable.Address, 40U, (ushort)Descriptor.FlagWrite), (descriptors[1].Address, descriptors[1].Length, descriptors[1].Flags));
        device.PushUsed(good.Head, 40);
        Assert.Equal(PopResult.Empty, device.TryPop(descriptors, out _));

        Assert.True(ring.TryTakeUsed(out var first));
        Assert.Equal(new UsedElement(bad.Head, 0), first);
        Assert.True(ring.TryTakeUsed(out var second));
        Assert.Equal(new UsedElement(head, 40), second);
        Assert.False(device.IsBroken);
    }

    /// <summary><paramref name="n"/> readable entries linked 0→1→…, as an indirect table holds them.</summary>
    private static Descriptor[] Entries(RingBuilder ring, int n) =>
        [.. Enumerable.Range(0, n).Select(i => new Descriptor(ring.Readable(8).Address, 8,
            i + 1 < n ? Descriptor.FlagNext : (ushort)0, i + 1 < n ? (ushort)(i + 1) : (ushort)0))];
}
