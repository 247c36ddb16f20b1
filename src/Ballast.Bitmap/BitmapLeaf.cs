using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>
/// A partially set chunk of 32,768 consecutive bits (128 MiB of 4 KiB guest pages): the bottom of the
/// <see cref="XBitmap"/> tree. A chunk that is all zeros has no leaf; a chunk that is all ones has no leaf
/// either (its parent marks the slot full), so a live leaf always holds 1 .. 32,767 set bits.
/// </summary>
/// <remarks>
/// <code>
///  Words    [512 × u64]  bit b of the chunk is Words[b / 64] bit (b % 64)
///  NonZero  [  8 × u64]  bit w set ⇔ Words[w] != 0        (FindSet skips empty words)
///  Full     [  8 × u64]  bit w set ⇔ Words[w] == ~0       (FindZero skips full words)
///  Count                 number of set bits, so "became empty / became full" costs nothing
/// </code>
/// The two summaries make a find inside a leaf at most 1 + 8 word probes plus two trailing-zero counts,
/// whatever the distance to the answer.
/// </remarks>
internal sealed class BitmapLeaf
{
    /// <summary>log2 of the bits per leaf.</summary>
    internal const int Shift = 15;

    /// <summary>Bits per leaf: 32,768.</summary>
    internal const int Bits = 1 << Shift;

    /// <summary>Mask of a bit's offset inside its leaf.</summary>
    internal const int Mask = Bits - 1;

    /// <summary>64-bit words per leaf: 512 (4 KiB).</summary>
    internal const int WordCount = Bits / 64;

    /// <summary>Words per summary: 8 (one bit per leaf word).</summary>
    internal const int SummaryCount = WordCount / 64;

    /// <summary>
    /// Managed size of one leaf: object header and method table (16), words, two summaries, the parent
    /// reference (8), <see cref="Index"/> and <see cref="Count"/> (4 + 4). A test checks it against the
    /// runtime's own allocation count.
    /// </summary>
    internal const long SizeInBytes = 16 + (WordCount * 8) + (2 * SummaryCount * 8) + 8 + 4 + 4;

    /// <summary>The bits of the chunk.</summary>
    internal LeafWords Words;

    /// <summary>Bit w set when <c>Words[w] != 0</c>.</summary>
    internal SummaryWords NonZero;

    /// <summary>Bit w set when <c>Words[w] == ulong.MaxValue</c>.</summary>
    internal SummaryWords Full;

    /// <summary>The bottom node (shift 0) that holds this leaf; null while the leaf is detached or spare.</summary>
    internal BitmapNode? Parent;

    /// <summary>This leaf's slot in <see cref="Parent"/>.</summary>
    internal int Index;

    /// <summary>Number of set bits.</summary>
    internal int Count;

    /// <summary>Clears every bit (used when a spare leaf is reused).</summary>
    internal void ClearAll()
    {
        ((Span<ulong>)Words).Clear();
        ((Span<ulong>)NonZero).Clear();
        ((Span<ulong>)Full).Clear();
        Count = 0;
    }

    /// <summary>Sets every bit (used when a full slot must be opened up to clear some of it).</summary>
    internal void SetAll()
    {
        ((Span<ulong>)Words).Fill(ulong.MaxValue);
        ((Span<ulong>)NonZero).Fill(ulong.MaxValue);
        ((Span<ulong>)Full).Fill(ulong.MaxValue);
        Count = Bits;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Test(int bit) => (Words[(bit >> 6) & (WordCount - 1)] & (1UL << bit)) != 0;

    /// <summary>Sets <paramref name="bit"/> (0 .. 32,767); true if it was clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Set(int bit)
    {
        int w = (bit >> 6) & (WordCount - 1);
        ulong mask = 1UL << bit;
        ref ulong word = ref Words[w];
        ulong before = word;
        if ((before & mask) != 0)
        {
            return false;
        }

        ulong after = before | mask;
        word = after;
        Count++;
        if (before == 0)
        {
            NonZero[w >> 6] |= 1UL << w;
        }

        if (after == ulong.MaxValue)
        {
            Full[w >> 6] |= 1UL << w;
        }

        return true;
    }

    /// <summary>Clears <paramref name="bit"/> (0 .. 32,767); true if it was set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Clear(int bit)
    {
        int w = (bit >> 6) & (WordCount - 1);
        ulong mask = 1UL << bit;
        ref ulong word = ref Words[w];
        ulong before = word;
        if ((before & mask) == 0)
        {
            return false;
        }

        ulong after = before & ~mask;
        word = after;
        Count--;
        if (after == 0)
        {
            NonZero[w >> 6] &= ~(1UL << w);
        }

        if (before == ulong.MaxValue)
        {
            Full[w >> 6] &= ~(1UL << w);
        }

        return true;
    }

    /// <summary>Sets bits <paramref name="first"/> .. <paramref name="last"/> (inclusive); returns how many were clear.</summary>
    internal int SetRange(int first, int last)
    {
        int w0 = first >> 6;
        int w1 = last >> 6;
        ulong head = ulong.MaxValue << first;
        ulong tail = ulong.MaxValue >> (63 - (last & 63));
        int added;
        if (w0 == w1)
        {
            added = OrWord(w0, head & tail);
        }
        else
        {
            added = OrWord(w0, head) + OrWord(w1, tail);
            if (w1 > w0 + 1)
            {
                Span<ulong> middle = ((Span<ulong>)Words)[(w0 + 1)..w1];
                int before = 0;
                foreach (ulong word in middle)
                {
                    before += BitOperations.PopCount(word);
                }

                added += (middle.Length * 64) - before;
                middle.Fill(ulong.MaxValue);
                BitSpan.SetRange(NonZero, w0 + 1, w1 - 1);
                BitSpan.SetRange(Full, w0 + 1, w1 - 1);
            }
        }

        Count += added;
        return added;
    }

    /// <summary>Clears bits <paramref name="first"/> .. <paramref name="last"/> (inclusive); returns how many were set.</summary>
    internal int ClearRange(int first, int last)
    {
        int w0 = first >> 6;
        int w1 = last >> 6;
        ulong head = ulong.MaxValue << first;
        ulong tail = ulong.MaxValue >> (63 - (last & 63));
        int removed;
        if (w0 == w1)
        {
            removed = AndNotWord(w0, head & tail);
        }
        else
        {
            removed = AndNotWord(w0, head) + AndNotWord(w1, tail);
            if (w1 > w0 + 1)
            {
                Span<ulong> middle = ((Span<ulong>)Words)[(w0 + 1)..w1];
                foreach (ulong word in middle)
                {
                    removed += BitOperations.PopCount(word);
                }

                middle.Clear();
                BitSpan.ClearRange(NonZero, w0 + 1, w1 - 1);
                BitSpan.ClearRange(Full, w0 + 1, w1 - 1);
            }
        }

        Count -= removed;
        return removed;
    }

    /// <summary>The first set bit at or after <paramref name="from"/> (0 .. 32,767), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int FindSet(int from)
    {
        int w = (from >> 6) & (WordCount - 1);
        ulong word = Words[w] & (ulong.MaxValue << from);
        if (word != 0)
        {
            return (w << 6) + BitOperations.TrailingZeroCount(word);
        }

        return FindSetAfterWord(w);
    }

    /// <summary>The first clear bit at or after <paramref name="from"/> (0 .. 32,767), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int FindZero(int from)
    {
        int w = (from >> 6) & (WordCount - 1);
        ulong word = ~Words[w] & (ulong.MaxValue << from);
        if (word != 0)
        {
            return (w << 6) + BitOperations.TrailingZeroCount(word);
        }

        return FindZeroAfterWord(w);
    }

    private int FindSetAfterWord(int w)
    {
        int next = w + 1;
        if (next == WordCount)
        {
            return -1;
        }

        int s = next >> 6;
        ulong candidates = NonZero[s] & (ulong.MaxValue << next);
        while (candidates == 0)
        {
            if (++s == SummaryCount)
            {
                return -1;
            }

            candidates = NonZero[s];
        }

        int found = (s << 6) + BitOperations.TrailingZeroCount(candidates);
        return (found << 6) + BitOperations.TrailingZeroCount(Words[found]);
    }

    private int FindZeroAfterWord(int w)
    {
        int next = w + 1;
        if (next == WordCount)
        {
            return -1;
        }

        int s = next >> 6;
        ulong candidates = ~Full[s] & (ulong.MaxValue << next);
        while (candidates == 0)
        {
            if (++s == SummaryCount)
            {
                return -1;
            }

            candidates = ~Full[s];
        }

        int found = (s << 6) + BitOperations.TrailingZeroCount(candidates);
        return (found << 6) + BitOperations.TrailingZeroCount(~Words[found]);
    }

    private int OrWord(int w, ulong mask)
    {
        ref ulong word = ref Words[w];
        ulong before = word;
        ulong after = before | mask;
        word = after;
        UpdateSummaries(w, after);
        return BitOperations.PopCount(after) - BitOperations.PopCount(before);
    }

    private int AndNotWord(int w, ulong mask)
    {
        ref ulong word = ref Words[w];
        ulong before = word;
        ulong after = before & ~mask;
        word = after;
        UpdateSummaries(w, after);
        return BitOperations.PopCount(before) - BitOperations.PopCount(after);
    }

    private void UpdateSummaries(int w, ulong value)
    {
        ulong bit = 1UL << w;
        ref ulong nonZero = ref NonZero[w >> 6];
        ref ulong full = ref Full[w >> 6];
        nonZero = value != 0 ? nonZero | bit : nonZero & ~bit;
        full = value == ulong.MaxValue ? full | bit : full & ~bit;
    }
}
