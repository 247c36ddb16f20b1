using System.Buffers.Binary;
using Ballast.Fuzz.Input;
using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Ring;

/// <summary>
/// Target <c>ring</c>: the device side of a split virtqueue (<see cref="DeviceQueue"/>) over guest RAM whose
/// descriptor table, available ring and indirect tables are the fuzzer's bytes (<see cref="RingLayout"/>). The
/// harness pops until the ring is empty or broken, returning every chain, and compares each pop with
/// <see cref="RingModel"/>.
/// <code>
/// input  := config:u8 next_avail:u16 used_idx:u16 table:(16 × size) avail:(6 + 2 × size) blob:rest (≤ 8 KiB)
/// config := bits 0-2 log2(queue size) (1..128), 3 EVENT_IDX, 4 INDIRECT_DESC, 5-6 blob base, 7 reserved
/// </code>
/// The used ring starts with used_idx (the device reads its position from it); avail is flags, idx, ring[size],
/// used_event. Findings: an exception; a pop that disagrees with the model (result, head or descriptors); more
/// pops than the driver published; a byte written outside the used ring; a used element, used idx or
/// avail_event that is not what the pushes and notifications demand.
/// </summary>
internal sealed class RingTarget : IFuzzTarget, IDisposable
{
    public const int MaxBlob = 8192;

    private readonly GuestMemory _memory = RingLayout.Create();
    private readonly byte[][] _before = [.. RingLayout.Regions.Select(r => new byte[r.Size])];
    private readonly Descriptor[] _descriptors = new Descriptor[SplitRing.MaxSize];
    private readonly List<Descriptor> _expected = [];

    public string Name => "ring";

    /// <summary>Chains popped by the last input (valid or not), for tests.</summary>
    public int LastPopped { get; private set; }

    /// <summary>Result of the last pop of the last input.</summary>
    public PopResult LastResult { get; private set; }

    public void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var config = input.U8();
        var size = 1 << (config & 7);
        var eventIdx = (config & 0x08) != 0;
        var indirect = (config & 0x10) != 0;
        var blobBase = RingLayout.BlobBases[(config >> 5) & 3];
        var nextAvail = input.U16();
        var usedIdx = input.U16();

        foreach (var (gpa, length, _) in RingLayout.Regions)
            _memory.GetSpan(gpa, (int)length).Clear();
        input.Take(16 * size).CopyTo(_memory.GetSpan(RingLayout.DescriptorTable, 16 * size));
        input.Take(6 + 2 * size).CopyTo(_memory.GetSpan(RingLayout.AvailableRing, 6 + 2 * size));
        BinaryPrimitives.WriteUInt16LittleEndian(_memory.GetSpan(RingLayout.UsedRing + 2, 2), usedIdx);
        WriteBlob(blobBase, input.Take(MaxBlob));
        for (var i = 0; i < _before.Length; i++)
            _memory.GetSpan(RingLayout.Regions[i].Gpa, _before[i].Length).CopyTo(_before[i]);

        var features = (eventIdx ? VirtioFeatures.Bit(VirtioFeatures.EventIdx) : 0) | (indirect ? VirtioFeatures.Bit(VirtioFeatures.IndirectDesc) : 0);
        var addresses = new RingAddresses(RingLayout.DescriptorTable, RingLayout.AvailableRing, RingLayout.UsedRing);
        var queue = new DeviceQueue(_memory, size, addresses, features, nextAvail);
        var model = new RingModel(_memory, size, indirect, nextAvail);
        var used = new Dictionary<int, (uint Id, uint Length)>();
        var expectedUsed = usedIdx;
        var output = _descriptors.AsSpan(0, size);
        LastPopped = 0;

        for (var iteration = 0; ; iteration++)
        {
            if (iteration > size)
                throw new InvariantViolationException($"TryPop returned a chain {iteration + 1} times on a ring of {size}: more than the driver can have published");
            if (iteration % 3 == 0)
                queue.DisableNotifications();
            var result = queue.TryPop(output, out var chain);
            var expected = model.Pop(_expected, out var expectedHead);
            LastResult = result;
            Compare(result, chain, output, expected, expectedHead);
            if (result is PopResult.Empty or PopResult.Broken)
                break;
            LastPopped++;
            uint written = 0;
            if (result == PopResult.Chain)
            {
                foreach (var d in output[..chain.Count])
                    written += d.IsWriteOnly ? d.Length : 0;
            }
            queue.PushUsed(chain.Head, written);
            used[expectedUsed & (size - 1)] = (chain.Head, written);
            expectedUsed++;
            if (iteration % 2 == 1)
                queue.NotifyIfNeeded();
        }
        if (queue.EnableNotifications())
            throw new InvariantViolationException("EnableNotifications reports new buffers on a ring nobody touched since it was drained");
        _ = queue.NeedsNotification();

        if (queue.NextAvail != model.LastAvail || queue.NextUsed != expectedUsed)
            throw new InvariantViolationException($"queue at avail {queue.NextAvail} used {queue.NextUsed}; the model says {model.LastAvail} and {expectedUsed}");
        CheckMemory(size, eventIdx, queue, used, expectedUsed);
    }

    private void Compare(PopResult result, in Chain chain, ReadOnlySpan<Descriptor> output, PopResult expected, ushort expectedHead)
    {
        if (result != expected)
            throw new InvariantViolationException($"TryPop returned {result} ({chain.Error}), the model {expected}");
        if (result is PopResult.Chain or PopResult.BadChain && chain.Head != expectedHead)
            throw new InvariantViolationException($"TryPop returned head {chain.Head}, the model {expectedHead}");
        if (result != PopResult.Chain)
            return;
        if (chain.Count != _expected.Count || !output[..chain.Count].SequenceEqual(_expected.ToArray()))
            throw new InvariantViolationException($"chain at head {chain.Head}: {chain.Count} descriptors [{string.Join(", ", output[..chain.Count].ToArray())}], the model has {_expected.Count} [{string.Join(", ", _expected)}]");
    }

    /// <summary>Only the used ring may have changed, and only as the pushes and notification calls say.</summary>
    private void CheckMemory(int size, bool eventIdx, DeviceQueue queue, Dictionary<int, (uint Id, uint Length)> used, ushort usedIdx)
    {
        var usedStart = RingLayout.UsedRing;
        var usedEnd = usedStart + SplitRing.UsedRingBytes(size);
        for (var r = 0; r < _before.Length; r++)
        {
            var (gpa, length, _) = RingLayout.Regions[r];
            var now = _memory.GetSpan(gpa, (int)length);
            var before = _before[r];
            var at = now.CommonPrefixLength(before);
            while (at < now.Length)
            {
                var address = gpa + (ulong)at;
                if (address < usedStart || address >= usedEnd)
                    throw new InvariantViolationException($"guest byte 0x{address:x} changed from 0x{before[at]:x2} to 0x{now[at]:x2}, outside the used ring [0x{usedStart:x}, 0x{usedEnd:x})");
                at++;
                at += now[at..].CommonPrefixLength(before.AsSpan(at));
            }
        }
        var ring = _memory.GetSpan(usedStart, (int)SplitRing.UsedRingBytes(size));
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(ring);
        if (flags > SplitRing.UsedFlagNoNotify && flags != BinaryPrimitives.ReadUInt16LittleEndian(_before[0].AsSpan((int)usedStart)))
            throw new InvariantViolationException($"used flags 0x{flags:x}: the device writes only 0 or VIRTQ_USED_F_NO_NOTIFY");
        if (BinaryPrimitives.ReadUInt16LittleEndian(ring[2..]) != usedIdx)
            throw new InvariantViolationException($"used idx {BinaryPrimitives.ReadUInt16LittleEndian(ring[2..])}, {usedIdx} pushes say");
        for (var slot = 0; slot < size; slot++)
        {
            var element = ring.Slice(4 + 8 * slot, 8);
            var id = BinaryPrimitives.ReadUInt32LittleEndian(element);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(element[4..]);
            var expected = used.TryGetValue(slot, out var e) ? e : (BinaryPrimitives.ReadUInt32LittleEndian(_before[0].AsSpan((int)usedStart + 4 + 8 * slot)),
                BinaryPrimitives.ReadUInt32LittleEndian(_before[0].AsSpan((int)usedStart + 8 + 8 * slot)));
            if (id != expected.Item1 || length != expected.Item2)
                throw new InvariantViolationException($"used ring slot {slot} holds ({id}, {length}); ({expected.Item1}, {expected.Item2}) expected");
        }
        if (eventIdx && !queue.IsBroken)
        {
            var availEvent = BinaryPrimitives.ReadUInt16LittleEndian(ring[(4 + 8 * size)..]);
            if (availEvent != queue.NextAvail)
                throw new InvariantViolationException($"avail_event {availEvent} after EnableNotifications; the next available index is {queue.NextAvail}");
        }
    }

    /// <summary>Writes the blob at <paramref name="gpa"/>, clipped to RAM (bytes that fall in a hole are dropped).</summary>
    private void WriteBlob(ulong gpa, ReadOnlySpan<byte> blob)
    {
        while (!blob.IsEmpty)
        {
            var region = _memory.FindRegion(gpa);
            if (region is null)
                return;
            var n = (int)Math.Min((ulong)blob.Length, region.GuestPhysEnd - gpa);
            blob[..n].CopyTo(_memory.GetSpan(gpa, n));
            blob = blob[n..];
            gpa += (ulong)n;
        }
    }

    public void Dispose() => _memory.Dispose();
}
