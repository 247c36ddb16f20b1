using System.Buffers.Binary;

namespace Ballast.Fuzz.Input;

/// <summary>Builds an input the way <see cref="FuzzInput"/> reads it (seed corpora, tests).</summary>
internal sealed class InputWriter
{
    private readonly List<byte> _bytes = [];

    /// <summary>Bytes written so far.</summary>
    public int Length => _bytes.Count;

    public InputWriter U8(int value)
    {
        _bytes.Add(checked((byte)value));
        return this;
    }

    public InputWriter U16(int value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, checked((ushort)value));
        return Bytes(b);
    }

    public InputWriter U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Bytes(b);
    }

    public InputWriter U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Bytes(b);
    }

    public InputWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            _bytes.Add(b);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
