using System.Buffers.Binary;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Balloon;

/// <summary>
/// The driver's half of one balloon queue, as plain as a hostile driver: descriptors go into consecutive table
/// slots (wrapping, overwriting whatever was there), heads into the available ring.
/// </summary>
internal sealed class GuestRing(GuestMemory memory, ulong gpa, int size)
{
    private int _nextSlot;

    public int Size => size;

    public RingAddresses Addresses { get; } = new(gpa, gpa + BalloonLayout.AvailOffset, gpa + BalloonLayout.UsedOffset);

    /// <summary>avail->idx as the driver last wrote it.</summary>
    public ushort AvailIdx { get; private set; }

    /// <summary>used->idx as the device last wrote it.</summary>
    public ushort UsedIdx => BinaryPrimitives.ReadUInt16LittleEndian(memory.GetSpan(Addresses.UsedRing + 2, 2));

    /// <summary>Zeroes the three areas and forgets the driver's position (a driver initialising the queue).</summary>
    public void Clear()
    {
        memory.GetSpan(Addresses.DescriptorTable, (int)SplitRing.DescriptorTableBytes(size)).Clear();
        memory.GetSpan(Addresses.AvailableRing, (int)SplitRing.AvailableRingBytes(size)).Clear();
        memory.GetSpan(Addresses.UsedRing, (int)SplitRing.UsedRingBytes(size)).Clear();
        _nextSlot = 0;
        AvailIdx = 0;
    }

    /// <summary>Writes <paramref name="chain"/> linked with NEXT into the next free slots and publishes its head.</summary>
    public void Add(ReadOnlySpan<Descriptor> chain)
    {
        var head = _nextSlot;
        var n = Math.Min(chain.Length, size);
        for (var i = 0; i < n; i++)
        {
            var slot = (head + i) % size;
            var last = i + 1 == n;
            var d = chain[i];
            Write(Addresses.DescriptorTable + 16 * (ulong)slot, d with
            {
                Flags = (ushort)(last ? d.Flags & ~Descriptor.FlagNext : d.Flags | Descriptor.FlagNext),
                Next = last ? (ushort)0 : (ushort)((slot + 1) % size),
            });
        }
        _nextSlot = (head + n) % size;
        BinaryPrimitives.WriteUInt16LittleEndian(memory.GetSpan(Addresses.AvailableRing + 4 + 2 * (ulong)(AvailIdx % size), 2), (ushort)head);
        SetAvailIdx((ushort)(AvailIdx + 1));
    }

    /// <summary>Publishes a raw avail->idx (a hostile driver may run ahead of what it wrote).</summary>
    public void SetAvailIdx(ushort idx)
    {
        Interlocked.MemoryBarrier();
        BinaryPrimitives.WriteUInt16LittleEndian(memory.GetSpan(Addresses.AvailableRing + 2, 2), idx);
        AvailIdx = idx;
    }

    /// <summary>Writes descriptors back to back at <paramref name="at"/> (an indirect table: entries linked 0→1→…).</summary>
    public static void WriteTable(GuestMemory memory, ulong at, ReadOnlySpan<Descriptor> table)
    {
        for (var i = 0; i < table.Length; i++)
        {
            var last = i + 1 == table.Length;
            var d = table[i];
            WriteAt(memory, at + 16 * (ulong)i, d with
            {
                Flags = (ushort)(last ? d.Flags & ~Descriptor.FlagNext : d.Flags | Descriptor.FlagNext),
                Next = last ? (ushort)0 : (ushort)(i + 1),
            });
        }
    }

    private void Write(ulong at, in Descriptor d) => WriteAt(memory, at, d);

    private static void WriteAt(GuestMemory memory, ulong at, in Descriptor d)
    {
        var b = memory.GetSpan(at, Descriptor.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(b, d.Address);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], d.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(b[12..], d.Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(b[14..], d.Next);
    }
}
