namespace Ballast.Virtio.Queue;

public sealed unsafe partial class DeviceQueue
{
    /// <summary>
    /// Walks the chain at <paramref name="head"/>, VIRTIO 1.2 §2.7.5 and §2.7.5.3. Direct descriptors are
    /// bounded by the table, so a chain longer than <see cref="Size"/> must revisit a descriptor (a loop).
    /// An indirect table holds len/16 entries, each bounded by the table, and counts against the same limit.
    /// </summary>
    private ChainError ReadChain(ushort head, Span<Descriptor> output, out int count)
    {
        count = 0;
        var index = head;
        var limit = Math.Min(Size, output.Length);
        for (var steps = 0; ; steps++)
        {
            if (steps >= Size)
                return ChainError.ChainTooLong; // more links than descriptors: a loop
            var d = RingMemory.ReadDescriptor(_desc + Descriptor.Size * index);
            if (d.IsIndirect)
            {
                if (!_indirect)
                    return ChainError.IndirectNotNegotiated;
                if (d.HasNext)
                    return ChainError.IndirectWithNext;
                return ReadIndirect(d, output, ref count, limit);
            }
            if (count >= limit)
                return ChainError.ChainTooLong;
            output[count++] = d;
            if (!d.HasNext)
                return ChainError.None;
            if (d.Next >= Size)
                return ChainError.DescriptorIndexOutOfRange;
            index = d.Next;
        }
    }

    private ChainError ReadIndirect(in Descriptor table, Span<Descriptor> output, ref int count, int limit)
    {
        // §2.7.5.3: "len" is the table size in bytes, a whole number of 16-byte descriptors.
        if (table.Length == 0 || table.Length % Descriptor.Size != 0)
            return ChainError.IndirectBadLength;
        var entries = table.Length / Descriptor.Size;
        if (entries > (uint)(limit - count))
            return ChainError.ChainTooLong;
        if (!_memory.TryGetHostAddress(table.Address, table.Length, out var host))
            return ChainError.IndirectOutsideRam;
        var p = (byte*)host;
        uint index = 0;
        for (var steps = 0u; ; steps++)
        {
            if (steps >= entries)
                return ChainError.ChainTooLong; // revisits an entry: a loop inside the table
            var d = RingMemory.ReadDescriptor(p + Descriptor.Size * index);
            if (d.IsIndirect)
                return ChainError.IndirectNested;
            output[count++] = d;
            if (!d.HasNext)
                return ChainError.None;
            if (d.Next >= entries)
                return ChainError.DescriptorIndexOutOfRange;
            index = d.Next;
        }
    }
}
