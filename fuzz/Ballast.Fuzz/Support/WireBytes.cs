using System.Buffers.Binary;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Support;

/// <summary>Guest-side wire encodings for seeds: descriptors and rings (VIRTIO 1.2 §2.7), PFN arrays and stats entries (§5.5.6).</summary>
internal static class WireBytes
{
    /// <summary>One descriptor: le64 addr, le32 len, le16 flags, le16 next.</summary>
    public static byte[] Descriptor(ulong address, uint length, ushort flags = 0, ushort next = 0)
    {
        var b = new byte[Ballast.Virtio.Queue.Descriptor.Size];
        BinaryPrimitives.WriteUInt64LittleEndian(b, address);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), length);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(12), flags);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(14), next);
        return b;
    }

    /// <summary>Several descriptors back to back (a table).</summary>
    public static byte[] Descriptors(params Descriptor[] descriptors) =>
        [.. descriptors.SelectMany(d => Descriptor(d.Address, d.Length, d.Flags, d.Next))];

    /// <summary>The available ring's head: le16 flags, le16 idx, then le16 ring entries.</summary>
    public static byte[] Avail(ushort flags, ushort idx, params ushort[] ring)
    {
        var b = new byte[4 + 2 * ring.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(b, flags);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), idx);
        for (var i = 0; i < ring.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4 + 2 * i), ring[i]);
        return b;
    }

    /// <summary>An array of le32 page frame numbers.</summary>
    public static byte[] Pfns(params uint[] pfns)
    {
        var b = new byte[4 * pfns.Length];
        for (var i = 0; i < pfns.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4 * i), pfns[i]);
        return b;
    }

    /// <summary>A run of <paramref name="count"/> consecutive PFNs from <paramref name="first"/>.</summary>
    public static byte[] PfnRun(uint first, int count) => Pfns([.. Enumerable.Range(0, count).Select(i => first + (uint)i)]);

    /// <summary>Stats entries: le16 tag, le64 val, packed (10 bytes each).</summary>
    public static byte[] Stats(params (ushort Tag, ulong Value)[] entries)
    {
        var b = new byte[10 * entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(10 * i), entries[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(10 * i + 2), entries[i].Value);
        }
        return b;
    }

    /// <summary>Byte arrays back to back.</summary>
    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
