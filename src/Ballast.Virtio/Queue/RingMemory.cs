using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Ballast.Virtio.Queue;

/// <summary>
/// Little-endian access to ring fields in shared guest memory. Every field is naturally aligned (the ring
/// areas' alignment is validated), so plain loads and stores are single accesses; the Acquire/Release
/// variants are the barriers VIRTIO 1.2 §2.7.13 asks for between data and index updates.
/// </summary>
internal static unsafe class RingMemory
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Read16(byte* p) => Le(*(ushort*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Read16Acquire(byte* p) => Le(Volatile.Read(ref *(ushort*)p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write16(byte* p, ushort v) => *(ushort*)p = Le(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write16Release(byte* p, ushort v) => Volatile.Write(ref *(ushort*)p, Le(v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Read32(byte* p) => BitConverter.IsLittleEndian ? *(uint*)p : BinaryPrimitives.ReverseEndianness(*(uint*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write32(byte* p, uint v) => *(uint*)p = BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Read64(byte* p) => BitConverter.IsLittleEndian ? *(ulong*)p : BinaryPrimitives.ReverseEndianness(*(ulong*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write64(byte* p, ulong v) => *(ulong*)p = BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Descriptor ReadDescriptor(byte* p) =>
        new(Read64(p), Read32(p + 8), Read16(p + 12), Read16(p + 14));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteDescriptor(byte* p, in Descriptor d)
    {
        Write64(p, d.Address);
        Write32(p + 8, d.Length);
        Write16(p + 12, d.Flags);
        Write16(p + 14, d.Next);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Le(ushort v) => BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
}
