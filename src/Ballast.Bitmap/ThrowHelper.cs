using System.Diagnostics.CodeAnalysis;

namespace Ballast.Bitmap;

/// <summary>
/// Throws for <see cref="XBitmap"/> argument misuse. Kept out of line so the hot paths that call it stay
/// small enough to inline.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowInvalidBit(string paramName) =>
        throw new ArgumentOutOfRangeException(
            paramName, ulong.MaxValue, "Bit 2^64-1 is not a valid bit: valid bits are 0 .. 2^64-2.");

    [DoesNotReturn]
    internal static void ThrowStartAfterEnd(ulong start, ulong end) =>
        throw new ArgumentOutOfRangeException(
            nameof(start), start, $"The range start {start} lies after its end {end}.");

    [DoesNotReturn]
    internal static void ThrowRangeOverflow(ulong start, ulong count) =>
        throw new ArgumentOutOfRangeException(
            nameof(count), count, $"The range {start} + {count} runs past bit 2^64-2, the last valid bit.");
}
