using System.Buffers.Binary;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Ring;

/// <summary>
/// A second, deliberately naive reading of VIRTIO 1.2 §2.7 for the device side of a split ring, run next to
/// <see cref="DeviceQueue"/> on the same guest RAM: what must each pop return? Loops are found with visited sets
/// (not step counts), regions through <see cref="RingLayout.RegionOf"/> (not GuestMemory's lookup). The harness
/// compares the two after every pop; it checks results and descriptors, not which of several errors a bad chain
/// reports. It reads RAM as it is at the pop, like the device: a driver may put an indirect table on the used
/// ring, where the device's own writes change it.
/// </summary>
/// <remarks>
/// The rules it shares with Ballast's choices: a chain holds at most queue-size descriptors in all, an indirect
/// table counting with all of its entries (len / 16) whether or not the chain visits them; an indirect
/// descriptor may end a direct chain at any position; the avail index may run at most queue-size entries ahead.
/// </remarks>
internal sealed class RingModel(GuestMemory memory, int size, bool indirect, ushort nextAvail)
{
    private ushort _lastAvail = nextAvail;
    private ushort _shadow = nextAvail;

    public ushort LastAvail => _lastAvail;

    public bool Broken { get; private set; }

    public PopResult Pop(List<Descriptor> chain, out ushort head)
    {
        chain.Clear();
        head = 0;
        if (Broken)
            return PopResult.Broken;
        if (_lastAvail == _shadow)
        {
            _shadow = Read16(RingLayout.AvailableRing + 2);
            var pending = (ushort)(_shadow - _lastAvail);
            if (pending == 0)
                return PopResult.Empty;
            if (pending > size)
                return Break();
        }
        head = Read16(RingLayout.AvailableRing + 4 + 2 * (ulong)(_lastAvail % size));
        if (head >= size)
            return Break();
        _lastAvail++;
        return Walk(head, chain) ? PopResult.Chain : PopResult.BadChain;
    }

    private PopResult Break()
    {
        Broken = true;
        return PopResult.Broken;
    }

    private bool Walk(ushort head, List<Descriptor> chain)
    {
        var visited = new HashSet<int>();
        for (int i = head; ; )
        {
            if (!visited.Add(i))
                return false;
            var d = ReadDescriptor(RingLayout.DescriptorTable + 16 * (ulong)i);
            if (d.IsIndirect)
                return indirect && !d.HasNext && WalkTable(d, chain);
            if (chain.Count >= size)
                return false;
            chain.Add(d);
            if (!d.HasNext)
                return true;
            if (d.Next >= size)
                return false;
            i = d.Next;
        }
    }

    private bool WalkTable(Descriptor table, List<Descriptor> chain)
    {
        if (table.Length == 0 || table.Length % 16 != 0)
            return false;
        var entries = (int)(table.Length / 16);
        if (chain.Count + (long)entries > size || RingLayout.RegionOf(table.Address, table.Length) < 0)
            return false;
        var visited = new HashSet<int>();
        for (var j = 0; ; )
        {
            if (!visited.Add(j))
                return false;
            var d = ReadDescriptor(table.Address + 16 * (ulong)j);
            if (d.IsIndirect)
                return false;
            chain.Add(d);
            if (!d.HasNext)
                return true;
            if (d.Next >= entries)
                return false;
            j = d.Next;
        }
    }

    private ReadOnlySpan<byte> Bytes(ulong gpa, int length)
    {
        var r = RingLayout.RegionOf(gpa, (ulong)length);
        return memory.GetSpan(RingLayout.Regions[r].Gpa, (int)RingLayout.Regions[r].Size).Slice((int)(gpa - RingLayout.Regions[r].Gpa), length);
    }

    private ushort Read16(ulong gpa) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(gpa, 2));

    private Descriptor ReadDescriptor(ulong gpa)
    {
        var b = Bytes(gpa, 16);
        return new Descriptor(BinaryPrimitives.ReadUInt64LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(b[12..]), BinaryPrimitives.ReadUInt16LittleEndian(b[14..]));
    }
}
