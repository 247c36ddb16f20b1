using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>
/// The 64 child slots of a <see cref="BitmapNode"/>, stored inline in the node object. A slot holds a
/// <see cref="BitmapNode"/> when the node's shift is above 0 and a <see cref="BitmapLeaf"/> when it is 0.
/// </summary>
[InlineArray(BitmapNode.SlotCount)]
internal struct NodeSlots
{
    private object? _slot;
}
