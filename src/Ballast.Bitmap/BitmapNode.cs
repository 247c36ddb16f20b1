namespace Ballast.Bitmap;

/// <summary>
/// An interior node of the <see cref="XBitmap"/> radix tree: 64 slots, each covering 2^<see cref="Shift"/>
/// consecutive chunks (a chunk is one <see cref="BitmapLeaf"/>'s worth of bits, 32,768).
/// </summary>
/// <remarks>
/// <code>
///  slot i state        Present bit  Full bit  Slots[i]
///  ─────────────────   ───────────  ────────  ─────────────────────────────────────────
///  all zeros (absent)       0           0     null
///  all ones                 1           1     null
///  mixed                    1           0     BitmapNode (Shift > 0) / BitmapLeaf (Shift == 0)
/// </code>
/// The two masks let a search skip up to 63 absent or full slots with one trailing-zero count.
/// Invariants (checked by <c>XBitmap.CheckInvariants</c> in tests): a node in the tree has at least one
/// present slot, and a node other than the root never has all 64 slots full (it is folded into a full
/// slot of its parent instead).
/// </remarks>
internal sealed class BitmapNode
{
    /// <summary>log2 of the slots per node.</summary>
    internal const int SlotShift = 6;

    /// <summary>Slots per node: 64.</summary>
    internal const int SlotCount = 1 << SlotShift;

    /// <summary>Mask of a slot index.</summary>
    internal const int SlotMask = SlotCount - 1;

    /// <summary>
    /// Managed size of one node: object header and method table (16), 64 slot references, the two masks
    /// (8 + 8), the parent reference (8), <see cref="Index"/> and <see cref="Shift"/> (4 + 4).
    /// </summary>
    internal const long SizeInBytes = 16 + (SlotCount * 8) + 8 + 8 + 8 + 4 + 4;

    /// <summary>Children: <see cref="BitmapNode"/> when <see cref="Shift"/> &gt; 0, else <see cref="BitmapLeaf"/>.</summary>
    internal NodeSlots Slots;

    /// <summary>Bit i set when slot i holds any set bit.</summary>
    internal ulong Present;

    /// <summary>Bit i set when every bit under slot i is set; such a slot stores no child.</summary>
    internal ulong Full;

    /// <summary>The node above; null for the root.</summary>
    internal BitmapNode? Parent;

    /// <summary>This node's slot in <see cref="Parent"/>.</summary>
    internal int Index;

    /// <summary>
    /// Chunk-index shift of this node's digit: slot = (chunk &gt;&gt; Shift) &amp; 63. 0 for the bottom nodes
    /// that hold leaves, then 6, 12, … up to 48 (the top digit of a 49-bit chunk index).
    /// </summary>
    internal int Shift;

    internal BitmapNode(int shift, BitmapNode? parent, int index)
    {
        Shift = shift;
        Parent = parent;
        Index = index;
    }

    /// <summary>log2 of the bits under one slot: <see cref="Shift"/> + 15, at most 63.</summary>
    internal int SlotBitShift => Shift + BitmapLeaf.Shift;
}
