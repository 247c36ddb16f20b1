using System.Numerics;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// The floor for the bitmap benchmarks: one flat <c>ulong[]</c> over a fixed number of bits, no
/// indirection, no bookkeeping. Finds skip zero (or all-ones) words with a vectorised search.
/// </summary>
public sealed class FlatBitmap
{
    private readonly ulong[] _words;

    public FlatBitmap(ulong bits)
    {
        Bits = bits;
        _words = new ulong[(bits + 63) / 64];
    }

    public ulong Bits { get; }

    public long MemoryBytes => _words.Length * sizeof(ulong);

    public bool Set(ulong bit)
    {
        ref ulong word = ref _words[bit >> 6];
        ulong mask = 1UL << (int)bit;
        bool wasClear = (word & mask) == 0;
        word |= mask;
        return wasClear;
    }

    public bool Test(ulong bit) => (_words[bit >> 6] & (1UL << (int)bit)) != 0;

    public void Reset() => Array.Clear(_words);

    public void CopyFrom(FlatBitmap other) => other._words.CopyTo(_words, 0);

    /// <summary>Clears [start, start + count) word by word.</summary>
    public void ClearRange(ulong start, ulong count)
    {
        if (count == 0)
        {
            return;
        }

        ulong last = start + count - 1;
        int w0 = (int)(start >> 6);
        int w1 = (int)(last >> 6);
        ulong head = ulong.MaxValue << (int)start;
        ulong tail = ulong.MaxValue >> (63 - (int)(last & 63));
        if (w0 == w1)
        {
            _words[w0] &= ~(head & tail);
            return;
        }

        _words[w0] &= ~head;
        _words.AsSpan((w0 + 1)..w1).Clear();
        _words[w1] &= ~tail;
    }

    /// <summary>First set bit in [start, end), or end.</summary>
    public ulong FindSet(ulong start, ulong end) => Find(start, end, invert: 0);

    /// <summary>First clear bit in [start, end), or end.</summary>
    public ulong FindZero(ulong start, ulong end) => Find(start, end, invert: ulong.MaxValue);

    private ulong Find(ulong start, ulong end, ulong invert)
    {
        if (start >= end)
        {
            return end;
        }

        int w = (int)(start >> 6);
        int last = (int)((end - 1) >> 6);
        ulong word = (_words[w] ^ invert) & (ulong.MaxValue << (int)start);
        if (word == 0)
        {
            if (w == last)
            {
                return end;
            }

            int skip = _words.AsSpan((w + 1)..(last + 1)).IndexOfAnyExcept(invert);
            if (skip < 0)
            {
                return end;
            }

            w += 1 + skip;
            word = _words[w] ^ invert;
        }

        ulong found = ((ulong)w << 6) + (ulong)BitOperations.TrailingZeroCount(word);
        return found < end ? found : end;
    }
}
