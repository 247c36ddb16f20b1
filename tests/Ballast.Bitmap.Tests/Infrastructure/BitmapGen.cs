using CsCheck;

namespace Ballast.Bitmap.Tests.Infrastructure;

/// <summary>
/// Generators for XBitmap property tests. Bits cluster near 0, 2^32, 2^63 and 2^64−2 so operations in one
/// sequence keep hitting each other, and offsets favour leaf (32,768-bit) and word (64-bit) boundaries.
/// </summary>
internal static class BitmapGen
{
    /// <summary>The highest valid bit, 2^64−2.</summary>
    public const ulong MaxBit = ulong.MaxValue - 1;

    /// <summary>Bits per XBitmap leaf, the internal chunk size the ranges must cross.</summary>
    public const long Chunk = 32768;

    private static readonly ulong[] Anchors = [0, 1UL << 32, 1UL << 63, MaxBit];

    private static readonly Gen<long> Offset = Gen.Frequency(
        (2, Gen.Long[-200_000, 200_000]),
        (3, Gen.Select(Gen.Int[-5, 5], Gen.Int[-70, 70], (k, d) => (k * Chunk) + d)),
        (2, Gen.Select(Gen.Int[-40, 40], Gen.Int[-2, 2], (k, d) => (k * 64L) + d)));

    /// <summary>A bit near one of the anchors.</summary>
    public static readonly Gen<ulong> Bit = Gen.Select(Gen.Int[0, Anchors.Length - 1], Offset, Near);

    /// <summary>A range length: often tiny, often around whole leaves, sometimes up to the end of the space.</summary>
    public static readonly Gen<ulong> Length = Gen.Frequency(
        (3, Gen.ULong[0, 130]),
        (3, Gen.ULong[0, (3 * Chunk) + 200]),
        (2, Gen.Select(Gen.Int[1, 4], Gen.Int[-64, 64], (k, d) => (ulong)((k * Chunk) + d))),
        (1, Gen.ULong[0, 1UL << 26]),
        (1, Gen.ULong));

    /// <summary>A (start, count) pair whose start + count stays within 2^64−1.</summary>
    public static readonly Gen<(ulong Start, ulong Count)> Range =
        Gen.Select(Bit, Length, (start, count) => (start, Math.Min(count, ulong.MaxValue - start)));

    /// <summary>A (start, end) pair with start ≤ end; end is sometimes exactly 2^64−1 (exclusive).</summary>
    public static readonly Gen<(ulong Start, ulong End)> Span = Gen.Frequency(
        (5, Range.Select(r => (r.Start, r.Start + r.Count))),
        (1, Bit.Select(start => (start, ulong.MaxValue))));

    public static readonly Gen<BitmapOperation> Operation = Gen.Frequency(
        (6, Bit.Select(b => new BitmapOperation(BitmapOperationKind.Set, b, 0))),
        (3, Bit.Select(b => new BitmapOperation(BitmapOperationKind.Clear, b, 0))),
        (3, Bit.Select(b => new BitmapOperation(BitmapOperationKind.Test, b, 0))),
        (3, Range.Select(r => new BitmapOperation(BitmapOperationKind.SetRange, r.Start, r.Count))),
        (3, Range.Select(r => new BitmapOperation(BitmapOperationKind.ClearRange, r.Start, r.Count))),
        (3, Span.Select(s => new BitmapOperation(BitmapOperationKind.FindSet, s.Start, s.End))),
        (3, Span.Select(s => new BitmapOperation(BitmapOperationKind.FindZero, s.Start, s.End))),
        (2, Span.Select(s => new BitmapOperation(BitmapOperationKind.Runs, s.Start, s.End))),
        (1, Gen.Const(new BitmapOperation(BitmapOperationKind.Count, 0, 0))),
        (1, Gen.Const(new BitmapOperation(BitmapOperationKind.Reset, 0, 0))));

    private static ulong Near(int anchor, long offset)
    {
        ulong magnitude = offset < 0 ? (ulong)-offset : (ulong)offset;
        return Anchors[anchor] switch
        {
            0 => magnitude,
            MaxBit => MaxBit - magnitude,
            ulong a => offset < 0 ? a - magnitude : a + magnitude,
        };
    }
}
