using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>The 512 bit words (4 KiB) of a <see cref="BitmapLeaf"/>, stored inline in the leaf object.</summary>
[InlineArray(BitmapLeaf.WordCount)]
internal struct LeafWords
{
    private ulong _word;
}
