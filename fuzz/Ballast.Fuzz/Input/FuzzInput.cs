using System.Buffers.Binary;

namespace Ballast.Fuzz.Input;

/// <summary>
/// A cursor over one fuzzer input. Fixed-size reads past the end yield zeros (so every input means something and
/// short inputs stay cheap); <see cref="TryTake"/> is for fields whose truncation is itself a case to test.
/// All multi-byte values are little-endian, like the wire formats they feed.
/// </summary>
internal ref struct FuzzInput(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>True once every byte was consumed.</summary>
    public readonly bool IsEmpty => _position >= _data.Length;

    /// <summary>Bytes not consumed yet.</summary>
    public readonly int Remaining => Math.Max(0, _data.Length - _position);

    public byte U8() => _position < _data.Length ? _data[_position++] : (byte)0;

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Fixed(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Fixed(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Fixed(8));

    /// <summary>Exactly <paramref name="count"/> bytes, or false (and the cursor at the end) if fewer remain.</summary>
    public bool TryTake(int count, out ReadOnlySpan<byte> bytes)
    {
        if (count < 0 || count > Remaining)
        {
            bytes = default;
            _position = _data.Length;
            return false;
        }
        bytes = _data.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>Up to <paramref name="count"/> bytes (fewer at the end of the input).</summary>
    public ReadOnlySpan<byte> Take(int count)
    {
        var n = Math.Clamp(count, 0, Remaining);
        var bytes = _data.Slice(_position, n);
        _position += n;
        return bytes;
    }

    /// <summary>Everything not consumed yet.</summary>
    public ReadOnlySpan<byte> Rest() => Take(Remaining);

    private ReadOnlySpan<byte> Fixed(int count)
    {
        if (Remaining >= count)
        {
            var bytes = _data.Slice(_position, count);
            _position += count;
            return bytes;
        }
        // A partial value at the end reads as zero-padded.
        var padded = new byte[count];
        _data[_position..].CopyTo(padded);
        _position = _data.Length;
        return padded;
    }
}
