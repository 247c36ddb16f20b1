namespace Ballast.Bitmap;

/// <summary>Sets or clears an inclusive range of bits in a small span of words (the leaf summaries).</summary>
internal static class BitSpan
{
    /// <summary>Sets bits <paramref name="first"/> .. <paramref name="last"/> (inclusive) of <paramref name="words"/>.</summary>
    internal static void SetRange(Span<ulong> words, int first, int last)
    {
        int w0 = first >> 6;
        int w1 = last >> 6;
        ulong head = ulong.MaxValue << first;
        ulong tail = ulong.MaxValue >> (63 - (last & 63));
        if (w0 == w1)
        {
            words[w0] |= head & tail;
            return;
        }

        words[w0] |= head;
        words[(w0 + 1)..w1].Fill(ulong.MaxValue);
        words[w1] |= tail;
    }

    /// <summary>Clears bits <paramref name="first"/> .. <paramref name="last"/> (inclusive) of <paramref name="words"/>.</summary>
    internal static void ClearRange(Span<ulong> words, int first, int last)
    {
        int w0 = first >> 6;
        int w1 = last >> 6;
        ulong head = ulong.MaxValue << first;
        ulong tail = ulong.MaxValue >> (63 - (last & 63));
        if (w0 == w1)
        {
            words[w0] &= ~(head & tail);
            return;
        }

        words[w0] &= ~head;
        words[(w0 + 1)..w1].Clear();
        words[w1] &= ~tail;
    }
}
