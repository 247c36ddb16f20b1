using Ballast.Fuzz.Input;
using Ballast.Fuzz.Support;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Ring;

/// <summary>Writes a <c>ring</c> input (see <see cref="RingTarget"/>).</summary>
internal static class RingScript
{
    public const byte EventIdx = 0x08, Indirect = 0x10;

    /// <summary>Config bits for the blob base (index into <see cref="RingLayout.BlobBases"/>).</summary>
    public static byte Blob(int baseIndex) => (byte)(baseIndex << 5);

    public static byte[] Build(int log2Size, int flags, ushort nextAvail, ushort usedIdx, Descriptor[] table,
        ushort availFlags, ushort availIdx, ushort[] ring, ushort usedEvent = 0, byte[]? blob = null)
    {
        var size = 1 << log2Size;
        var w = new InputWriter().U8(log2Size | flags).U16(nextAvail).U16(usedIdx);
        var tableBytes = new byte[16 * size];
        WireBytes.Descriptors(table).CopyTo(tableBytes, 0);
        w.Bytes(tableBytes);
        var avail = new byte[6 + 2 * size];
        WireBytes.Avail(availFlags, availIdx, ring).CopyTo(avail, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(avail.AsSpan(4 + 2 * size), usedEvent);
        w.Bytes(avail);
        if (blob is not null)
            w.Bytes(blob);
        return w.ToArray();
    }
}
