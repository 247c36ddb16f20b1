using System.Buffers.Binary;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.TestKit;

/// <summary>
/// The driver's half of a split virtqueue (VIRTIO 1.2 §2.7), written byte by byte into guest memory so tests
/// can drive a <see cref="DeviceQueue"/> — the role of rust-vmm virtio-queue's <c>mock.rs</c>.
/// <see cref="AddChain"/> and <see cref="AddIndirect"/> write descriptors the way a driver would; the raw
/// members write anything a hostile driver could (descriptors at any index, any avail ring entry and idx,
/// indirect tables at any address, used_event, avail flags) and read back what the device wrote (used
/// elements, used idx and flags, avail_event).
/// </summary>
/// <remarks>
/// Uses only the public API of Ballast.Virtio: other test projects compile this file in too.
/// <code>
/// ringArea: descriptor table (16 × size) | available ring (6 + 2 × size) | pad to 16 | used ring (6 + 8 × size)
/// bufferArea: bump allocator for buffers (<see cref="AllocateBuffer"/>)
/// </code>
/// </remarks>
public sealed class RingBuilder : IDisposable
{
    /// <summary>Guest RAM of the default builder: QEMU-like, [0, 0xf0000) and [0x100000, 4 MiB).</summary>
    public const ulong DefaultRamBytes = 4 << 20;

    /// <summary>Where the rings go by default (inside the low region).</summary>
    public const ulong DefaultRingArea = 0x10000;

    /// <summary>Where buffers are allocated from by default (up to the end of RAM).</summary>
    public const ulong DefaultBufferArea = 0x200000;

    private readonly bool _ownsMemory;
    private readonly int _mask;
    private int _nextDescriptor;  // allocation cursor for AddChain, wraps at Size
    private ulong _nextBuffer;
    private ushort _lastUsed;     // next used ring slot TryTakeUsed reads

    /// <summary>
    /// Lays out a zeroed ring of <paramref name="size"/> at <paramref name="ringArea"/>. Without
    /// <paramref name="memory"/>, creates (and owns) a <see cref="DefaultRamBytes"/> QEMU-like guest.
    /// </summary>
    /// <param name="size">Queue size; anything <see cref="DeviceQueue.Validate"/> accepts.</param>
    /// <param name="features">Features handed to <see cref="CreateDevice"/> (VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC).</param>
    /// <param name="memory">Guest RAM to use; not disposed by the builder.</param>
    /// <param name="ringArea">16-byte aligned guest address of the descriptor table; the rings follow it.</param>
    /// <param name="bufferArea">First guest address <see cref="AllocateBuffer"/> hands out.</param>
    public RingBuilder(int size = 16, ulong features = 0, GuestMemory? memory = null,
        ulong ringArea = DefaultRingArea, ulong bufferArea = DefaultBufferArea)
    {
        _ownsMemory = memory is null;
        Memory = memory ?? GuestMemory.CreateMemfd(DefaultRamBytes, "ballast-ringbuilder");
        try
        {
            var avail = ringArea + SplitRing.DescriptorTableBytes(size);
            var used = AlignUp(avail + SplitRing.AvailableRingBytes(size), 16);
            Addresses = new RingAddresses(ringArea, avail, used);
            var error = DeviceQueue.Validate(Memory, size, Addresses);
            if (error is not null)
                throw new ArgumentException(error, nameof(ringArea));
        }
        catch
        {
            if (_ownsMemory)
                Memory.Dispose();
            throw;
        }
        Size = size;
        _mask = size - 1;
        Features = features;
        _nextBuffer = bufferArea;
        Bytes(Addresses.DescriptorTable, (int)SplitRing.DescriptorTableBytes(size)).Clear();
        Bytes(Addresses.AvailableRing, (int)SplitRing.AvailableRingBytes(size)).Clear();
        Bytes(Addresses.UsedRing, (int)SplitRing.UsedRingBytes(size)).Clear();
    }

    /// <summary>Guest RAM holding the rings and buffers.</summary>
    public GuestMemory Memory { get; }

    /// <summary>Queue size.</summary>
    public int Size { get; }

    /// <summary>Where the three areas are.</summary>
    public RingAddresses Addresses { get; }

    /// <summary>Features <see cref="CreateDevice"/> negotiates by default.</summary>
    public ulong Features { get; }

    /// <summary>A device side over this ring (features default to <see cref="Features"/>).</summary>
    public DeviceQueue CreateDevice(ulong? features = null, ushort nextAvail = 0) =>
        new(Memory, Size, Addresses, features ?? Features, nextAvail);

    /// <summary>The production driver side over this ring (it zeroes the rings: create it before adding anything).</summary>
    public DriverQueue CreateDriver(ulong? features = null) => new(Memory, Size, Addresses, features ?? Features);

    // ---- buffers ----

    /// <summary>Hands out <paramref name="length"/> bytes of the buffer area (never reused).</summary>
    public ulong AllocateBuffer(uint length, uint alignment = 16)
    {
        var gpa = AlignUp(_nextBuffer, alignment);
        _nextBuffer = gpa + Math.Max(length, 1u);
        return gpa;
    }

    /// <summary>A fresh device-readable ("out") segment filled with <paramref name="fill"/>.</summary>
    public BufferSegment Readable(uint length, byte fill = 0)
    {
        var gpa = AllocateBuffer(length);
        Bytes(gpa, (int)length).Fill(fill);
        return new BufferSegment(gpa, length, DeviceWritable: false);
    }

    /// <summary>A fresh device-writable ("in") segment, zeroed.</summary>
    public BufferSegment Writable(uint length)
    {
        var gpa = AllocateBuffer(length);
        Bytes(gpa, (int)length).Clear();
        return new BufferSegment(gpa, length, DeviceWritable: true);
    }

    /// <summary>Guest bytes at <paramref name="gpa"/> (inside one region).</summary>
    public Span<byte> Bytes(ulong gpa, int length) => Memory.GetSpan(gpa, length);

    // ---- the way a driver writes buffers ----

    /// <summary>Writes <paramref name="segments"/> as a chain linked with VIRTQ_DESC_F_NEXT into the next free
    /// descriptor slots (consecutive, wrapping at <see cref="Size"/>) without publishing it; returns the head.</summary>
    public ushort WriteChain(params ReadOnlySpan<BufferSegment> segments)
    {
        if (segments.IsEmpty || segments.Length > Size)
            throw new ArgumentException($"a chain needs 1..{Size} segments", nameof(segments));
        var head = (ushort)_nextDescriptor;
        for (var i = 0; i < segments.Length; i++)
        {
            var index = (_nextDescriptor + i) & _mask;
            var last = i + 1 == segments.Length;
            var flags = (ushort)((segments[i].DeviceWritable ? Descriptor.FlagWrite : 0) | (last ? 0 : Descriptor.FlagNext));
            SetDescriptor(index, new Descriptor(segments[i].Address, segments[i].Length, flags, last ? (ushort)0 : (ushort)((index + 1) & _mask)));
        }
        _nextDescriptor = (_nextDescriptor + segments.Length) & _mask;
        return head;
    }

    /// <summary>Writes a chain (<see cref="WriteChain"/>) and publishes it in the available ring.</summary>
    public ushort AddChain(params ReadOnlySpan<BufferSegment> segments)
    {
        var head = WriteChain(segments);
        Publish(head);
        return head;
    }

    /// <summary>
    /// Writes <paramref name="segments"/> as an indirect table at <paramref name="tableGpa"/> (entries linked
    /// 0→1→…), one VIRTQ_DESC_F_INDIRECT descriptor pointing at it (§2.7.5.3), and publishes that; returns the head.
    /// </summary>
    public ushort AddIndirect(ulong tableGpa, params ReadOnlySpan<BufferSegment> segments)
    {
        var table = new Descriptor[segments.Length];
        for (var i = 0; i < table.Length; i++)
        {
            var last = i + 1 == table.Length;
            table[i] = new Descriptor(segments[i].Address, segments[i].Length,
                (ushort)((segments[i].DeviceWritable ? Descriptor.FlagWrite : 0) | (last ? 0 : Descriptor.FlagNext)),
                last ? (ushort)0 : (ushort)(i + 1));
        }
        WriteDescriptors(tableGpa, table);
        var head = (ushort)_nextDescriptor;
        SetDescriptor(head, new Descriptor(tableGpa, (uint)(table.Length * Descriptor.Size), Descriptor.FlagIndirect, 0));
        _nextDescriptor = (_nextDescriptor + 1) & _mask;
        Publish(head);
        return head;
    }

    /// <summary>Puts <paramref name="head"/> in the available ring at slot idx % size and increments avail idx.</summary>
    public void Publish(ushort head)
    {
        var idx = AvailIdx;
        SetAvailEntry(idx & _mask, head);
        AvailIdx = (ushort)(idx + 1);
    }

    /// <summary>Collects the next used element the device published, if any.</summary>
    public bool TryTakeUsed(out UsedElement element)
    {
        if (UsedIdx == _lastUsed)
        {
            element = default;
            return false;
        }
        element = GetUsed(_lastUsed & _mask);
        _lastUsed++;
        return true;
    }

    // ---- raw descriptor table and indirect tables ----

    /// <summary>Writes a raw descriptor at table slot <paramref name="index"/>.</summary>
    public void SetDescriptor(int index, in Descriptor descriptor) =>
        WriteDescriptor(Bytes(DescriptorAddress(index), Descriptor.Size), descriptor);

    /// <summary>Writes a raw descriptor at table slot <paramref name="index"/>.</summary>
    public void SetDescriptor(int index, ulong address, uint length, ushort flags = 0, ushort next = 0) =>
        SetDescriptor(index, new Descriptor(address, length, flags, next));

    /// <summary>Reads table slot <paramref name="index"/>.</summary>
    public Descriptor GetDescriptor(int index) => ReadDescriptor(Bytes(DescriptorAddress(index), Descriptor.Size));

    /// <summary>Writes <paramref name="descriptors"/> back to back at <paramref name="gpa"/> (an indirect table,
    /// or anything else: the address need not be aligned).</summary>
    public void WriteDescriptors(ulong gpa, ReadOnlySpan<Descriptor> descriptors)
    {
        var bytes = Bytes(gpa, descriptors.Length * Descriptor.Size);
        for (var i = 0; i < descriptors.Length; i++)
            WriteDescriptor(bytes[(i * Descriptor.Size)..], descriptors[i]);
    }

    /// <summary>Reads a descriptor from any guest address.</summary>
    public Descriptor ReadDescriptorAt(ulong gpa) => ReadDescriptor(Bytes(gpa, Descriptor.Size));

    /// <summary>Guest address of table slot <paramref name="index"/>.</summary>
    public ulong DescriptorAddress(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Size);
        return Addresses.DescriptorTable + (ulong)(index * Descriptor.Size);
    }

    // ---- available ring (driver-written) ----

    /// <summary>avail->flags (VIRTQ_AVAIL_F_NO_INTERRUPT).</summary>
    public ushort AvailFlags
    {
        get => Read16(Addresses.AvailableRing + SplitRing.AvailFlagsOffset);
        set => Write16(Addresses.AvailableRing + SplitRing.AvailFlagsOffset, value);
    }

    /// <summary>avail->idx: where the driver puts the next ring entry, mod 2^16.</summary>
    public ushort AvailIdx
    {
        get => Read16(Addresses.AvailableRing + SplitRing.AvailIdxOffset);
        set => Write16Release(Addresses.AvailableRing + SplitRing.AvailIdxOffset, value);
    }

    /// <summary>Writes avail->ring[<paramref name="slot"/>] (any value, even ≥ size).</summary>
    public void SetAvailEntry(int slot, ushort head) => Write16(AvailEntryAddress(slot), head);

    /// <summary>Reads avail->ring[<paramref name="slot"/>].</summary>
    public ushort GetAvailEntry(int slot) => Read16(AvailEntryAddress(slot));

    /// <summary>used_event, after avail->ring[size] (VIRTIO_F_EVENT_IDX).</summary>
    public ushort UsedEvent
    {
        get => Read16(Addresses.AvailableRing + SplitRing.AvailRingOffset + 2 * (ulong)Size);
        set => Write16(Addresses.AvailableRing + SplitRing.AvailRingOffset + 2 * (ulong)Size, value);
    }

    // ---- used ring (device-written; settable to stage odd starting states) ----

    /// <summary>used->flags (VIRTQ_USED_F_NO_NOTIFY).</summary>
    public ushort UsedFlags
    {
        get => Read16(Addresses.UsedRing + SplitRing.UsedFlagsOffset);
        set => Write16(Addresses.UsedRing + SplitRing.UsedFlagsOffset, value);
    }

    /// <summary>used->idx.</summary>
    public ushort UsedIdx
    {
        get => Read16Acquire(Addresses.UsedRing + SplitRing.UsedIdxOffset);
        set => Write16(Addresses.UsedRing + SplitRing.UsedIdxOffset, value);
    }

    /// <summary>used->ring[<paramref name="slot"/>].</summary>
    public UsedElement GetUsed(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Size);
        var b = Bytes(Addresses.UsedRing + SplitRing.UsedRingOffset + (ulong)(slot * SplitRing.UsedElementSize), SplitRing.UsedElementSize);
        return new UsedElement(BinaryPrimitives.ReadUInt32LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[4..]));
    }

    /// <summary>avail_event, after used->ring[size] (VIRTIO_F_EVENT_IDX).</summary>
    public ushort AvailEvent
    {
        get => Read16(Addresses.UsedRing + SplitRing.UsedRingOffset + SplitRing.UsedElementSize * (ulong)Size);
        set => Write16(Addresses.UsedRing + SplitRing.UsedRingOffset + SplitRing.UsedElementSize * (ulong)Size, value);
    }

    /// <summary>Disposes the guest memory if the builder created it.</summary>
    public void Dispose()
    {
        if (_ownsMemory)
            Memory.Dispose();
    }

    // ---- little-endian wire access (VIRTIO 1.2 §2.7: every ring field is little-endian) ----

    /// <summary>Encodes a descriptor as le64 addr, le32 len, le16 flags, le16 next (§2.7.5).</summary>
    public static void WriteDescriptor(Span<byte> destination, in Descriptor d)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, d.Address);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], d.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[12..], d.Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[14..], d.Next);
    }

    /// <summary>Decodes a descriptor (§2.7.5).</summary>
    public static Descriptor ReadDescriptor(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[12..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[14..]));

    private ulong AvailEntryAddress(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Size);
        return Addresses.AvailableRing + SplitRing.AvailRingOffset + 2 * (ulong)slot;
    }

    private ushort Read16(ulong gpa) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(gpa, 2));

    private void Write16(ulong gpa, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Bytes(gpa, 2), value);

    private ushort Read16Acquire(ulong gpa)
    {
        var v = Read16(gpa);
        Interlocked.MemoryBarrier();
        return v;
    }

    // The ring entries and descriptors written before must be visible before the new idx (§2.7.13.3.1).
    private void Write16Release(ulong gpa, ushort value)
    {
        Interlocked.MemoryBarrier();
        Write16(gpa, value);
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;
}
