using Ballast.TestKit;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using CsCheck;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// Property: whatever garbage the driver writes into the descriptor table, the available ring and the memory
/// its indirect descriptors point at, <see cref="DeviceQueue"/> never throws, never reads a descriptor from
/// anywhere but the table or an in-RAM indirect table, and never returns more than it may.
/// </summary>
public sealed class DeviceQueueFuzzTests
{
    private const int MaxSize = 32;
    private const ulong TableArea = 0x300000;     // where the generated indirect tables live
    private const int TableEntries = 64;          // 1 KiB of garbage descriptors there

    /// <summary>One hostile ring: everything the driver controls.</summary>
    public sealed record Garbage(
        int Size, bool Indirect, bool EventIdx, ushort NextAvail, ushort Pending, int SpanLength,
        Descriptor[] Table, ushort[] Avail, Descriptor[] IndirectArea, uint WrittenBytes)
    {
        public override string ToString() =>
            $"size {Size} indirect {Indirect} eventIdx {EventIdx} nextAvail {NextAvail} pending {Pending} span {SpanLength}\n" +
            $"table: {string.Join(", ", Table.Select(Show))}\n" +
            $"avail: {string.Join(", ", Avail)}\n" +
            $"indirect area: {string.Join(", ", IndirectArea.Select(Show))}";

        private static string Show(Descriptor d) => $"[0x{d.Address:x} {d.Length} f{d.Flags} n{d.Next}]";
    }

    private static readonly Gen<ulong> AddressGen = Gen.Frequency(
        (6, Gen.Int[0, 3 * 16].Select(i => TableArea + (ulong)i * 16)),          // inside the garbage area
        (2, Gen.Int[0, TableEntries * 16].Select(i => TableArea + (ulong)i)),    // unaligned inside it
        (1, Gen.Const(RingBuilder.DefaultRingArea)),                             // the descriptor table itself
        (1, Gen.Int[0, 3].Select(i => GuestMemory.LowHoleStart - (ulong)i * 16)), // up to / into the hole
        (1, Gen.Int[0, 2].Select(i => RingBuilder.DefaultRamBytes - (ulong)i * 16)), // at / across the end
        (1, Gen.ULong));

    private static readonly Gen<uint> LengthGen = Gen.Frequency(
        (6, Gen.UInt[0, 12].Select(n => n * 16)),
        (2, Gen.UInt[0, 40]),
        (1, Gen.UInt));

    private static readonly Gen<ushort> FlagsGen = Gen.Frequency(
        (8, Gen.UShort[0, 7]),
        (1, Gen.UShort));

    private static Gen<Descriptor> DescriptorGen(int size) => Gen.Select(AddressGen, LengthGen, FlagsGen,
        Gen.Frequency((12, Gen.UShort[0, (ushort)size]), (1, Gen.UShort)),   // mostly in the table, sometimes one past it
        (a, l, f, n) => new Descriptor(a, l, f, n));

    private static readonly Gen<Garbage> GarbageGen =
        from sizeLog2 in Gen.Int[0, 5]
        let size = 1 << sizeLog2
        from indirect in Gen.Frequency((3, Gen.Const(true)), (1, Gen.Const(false)))
        from eventIdx in Gen.Bool
        from nextAvail in Gen.Frequency((3, Gen.UShort[0, 4]), (1, Gen.UShort))
        from pending in Gen.Frequency((12, Gen.UShort[0, (ushort)size]), (1, Gen.UShort))
        from spanLength in Gen.Frequency((6, Gen.Const(size)), (1, Gen.Int[0, MaxSize]))
        from table in DescriptorGen(size).Array[size]
        from avail in Gen.Frequency((40, Gen.UShort[0, (ushort)(size - 1)]), (1, Gen.UShort)).Array[size]
        from area in DescriptorGen(size).Array[TableEntries]
        from written in Gen.UInt
        select new Garbage(size, indirect, eventIdx, nextAvail, pending, spanLength, table, avail, area, written);

    [Fact]
    public void TryPop_NeverThrowsAndOnlyReturnsDescriptorsFromTheTableOrInRamIndirectTables() =>
        GarbageGen.Sample(Check, iter: 5000);

    private static void Check(Garbage g)
    {
        var features = (g.Indirect ? VirtioFeatures.Bit(VirtioFeatures.IndirectDesc) : 0)
            | (g.EventIdx ? VirtioFeatures.Bit(VirtioFeatures.EventIdx) : 0);
        using var ring = new RingBuilder(g.Size, features);
        for (var i = 0; i < g.Size; i++)
        {
            ring.SetDescriptor(i, g.Table[i]);
            ring.SetAvailEntry(i, g.Avail[i]);
        }
        ring.WriteDescriptors(TableArea, g.IndirectArea);
        ring.AvailIdx = (ushort)(g.NextAvail + g.Pending);
        var device = ring.CreateDevice(nextAvail: g.NextAvail);
        var descriptors = new Descriptor[g.SpanLength];

        for (var round = 0; round <= g.Size + 1; round++)
        {
            var allowed = AllowedDescriptors(ring);
            var result = device.TryPop(descriptors, out var chain);
            if (result == PopResult.Empty)
            {
                Assert.Equal((ushort)(g.NextAvail + g.Pending), device.NextAvail); // all of them, or it broke
                return;
            }
            if (result == PopResult.Broken)
            {
                AssertBrokenForGood(ring, device, descriptors);
                return;
            }

            Assert.True(chain.Head < g.Size, $"head {chain.Head}");
            Assert.InRange(chain.Count, 0, Math.Min(g.Size, g.SpanLength));
            for (var i = 0; i < chain.Count; i++)
                Assert.True(allowed.Contains(descriptors[i]), $"descriptor {i} {descriptors[i]} came from neither the table nor an in-RAM indirect table");
            if (result == PopResult.Chain)
            {
                Assert.Equal(ChainError.None, chain.Error);
                Assert.InRange(chain.Count, 1, g.Size);
                Assert.False(descriptors[chain.Count - 1].HasNext);
                Assert.All(descriptors[..chain.Count], d => Assert.False(d.IsIndirect));
            }
            else
            {
                Assert.Equal(PopResult.BadChain, result);
                Assert.NotEqual(ChainError.None, chain.Error);
            }

            var usedIdx = ring.UsedIdx;
            device.PushUsed(chain.Head, g.WrittenBytes);
            Assert.Equal((ushort)(usedIdx + 1), ring.UsedIdx);
            Assert.Equal(new UsedElement(chain.Head, g.WrittenBytes), ring.GetUsed(usedIdx & (g.Size - 1)));
            _ = device.NotifyIfNeeded();
            device.DisableNotifications();
            _ = device.EnableNotifications();
        }
        Assert.Fail("the device popped more chains than the driver published");
    }

    /// <summary>Every descriptor the device may legitimately return: the table's, and those of every indirect table
    /// a table entry points at that lies in one RAM region.</summary>
    private static HashSet<Descriptor> AllowedDescriptors(RingBuilder ring)
    {
        var allowed = new HashSet<Descriptor>();
        for (var i = 0; i < ring.Size; i++)
        {
            var d = ring.GetDescriptor(i);
            allowed.Add(d);
            if (d.IsIndirect && d.Length is > 0 and <= 16 * 4096 && d.Length % 16 == 0
                && ring.Memory.TryGetHostAddress(d.Address, d.Length, out _))
            {
                var bytes = ring.Memory.GetSpan(d.Address, (int)d.Length);
                for (var off = 0; off < bytes.Length; off += Descriptor.Size)
                    allowed.Add(RingBuilder.ReadDescriptor(bytes[off..]));
            }
        }
        return allowed;
    }

    private static void AssertBrokenForGood(RingBuilder ring, DeviceQueue device, Descriptor[] descriptors)
    {
        Assert.True(device.IsBroken);
        Assert.False(string.IsNullOrEmpty(device.BrokenReason));
        var used = ring.Bytes(ring.Addresses.UsedRing, (int)SplitRing.UsedRingBytes(ring.Size)).ToArray();
        Assert.Equal(PopResult.Broken, device.TryPop(descriptors, out _));
        device.PushUsed(0, 1);
        Assert.False(device.NotifyIfNeeded());
        Assert.False(device.EnableNotifications());
        Assert.Equal(used, ring.Bytes(ring.Addresses.UsedRing, (int)SplitRing.UsedRingBytes(ring.Size)).ToArray());
    }
}
