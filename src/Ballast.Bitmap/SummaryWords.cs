using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>One bit per word of a <see cref="BitmapLeaf"/> (512 bits), stored inline in the leaf object.</summary>
[InlineArray(BitmapLeaf.SummaryCount)]
internal struct SummaryWords
{
    private ulong _word;
}
