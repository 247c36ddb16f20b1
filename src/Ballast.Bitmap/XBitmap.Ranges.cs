using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>Range updates: whole slots at any level become full or absent in O(1), edges go down to words.</summary>
public sealed partial class XBitmap
{
    /// <summary>Sets the <paramref name="count"/> bits starting at <paramref name="start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="start"/> + <paramref name="count"/> is above 2^64−1 (the range would reach bit 2^64−1
    /// or wrap).
    /// </exception>
    public void SetRange(ulong start, ulong count)
    {
        if (count > InvalidBit - start)
        {
            ThrowHelper.ThrowRangeOverflow(start, count);
        }

        if (count == 0)
        {
            return;
        }

        ulong last = start + count - 1;
        BitmapNode root = EnsureRootCovers(last >> BitmapLeaf.Shift);
        SetRangeIn(root, start, last);
    }

    /// <summary>
    /// Clears the <paramref name="count"/> bits starting at <paramref name="start"/> (<c>xb_clear_bit_range</c>),
    /// freeing every leaf and node that becomes empty.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="start"/> + <paramref name="count"/> is above 2^64−1.
    /// </exception>
    public void ClearRange(ulong start, ulong count)
    {
        if (count > InvalidBit - start)
        {
            ThrowHelper.ThrowRangeOverflow(start, count);
        }

        BitmapNode? root = _root;
        if (count == 0 || root is null || !Covers(root, start >> BitmapLeaf.Shift))
        {
            return;
        }

        ulong last = start + count - 1;
        int coveredBits = root.SlotBitShift + BitmapNode.SlotShift;
        if (coveredBits < 64)
        {
            last = Math.Min(last, (1UL << coveredBits) - 1);
        }

        ClearRangeIn(root, start, last);
        PruneEmpty(root);
    }

    /// <summary>Sets bits <paramref name="first"/> .. <paramref name="last"/> (inclusive, both under <paramref name="node"/>).</summary>
    private void SetRangeIn(BitmapNode node, ulong first, ulong last)
    {
        int slotBits = node.SlotBitShift;
        ulong slotSpan = 1UL << slotBits;
        int i0 = SlotOf(first, slotBits);
        int i1 = SlotOf(last, slotBits);
        ulong slotFirst = first & ~(slotSpan - 1);
        for (int i = i0; i <= i1; i++)
        {
            if (i != i0)
            {
                slotFirst += slotSpan;
            }

            ulong bit = 1UL << i;
            if ((node.Full & bit) != 0)
            {
                continue;
            }

            ulong slotLast = slotFirst + (slotSpan - 1);
            ulong lo = Math.Max(first, slotFirst);
            ulong hi = Math.Min(last, slotLast);
            if (lo == slotFirst && hi == slotLast)
            {
                ulong before = (node.Present & bit) != 0 ? DetachChild(node, i) : 0;
                node.Present |= bit;
                node.Full |= bit;
                _count += slotSpan - before;
                continue;
            }

            bool existed = (node.Present & bit) != 0;
            node.Present |= bit;
            if (node.Shift == 0)
            {
                BitmapLeaf leaf = existed
                    ? Unsafe.As<BitmapLeaf>(node.Slots[i]!)
                    : AttachNewLeaf(node, i, filled: false);
                _count += (ulong)leaf.SetRange((int)lo & BitmapLeaf.Mask, (int)hi & BitmapLeaf.Mask);
                if (leaf.Count == BitmapLeaf.Bits)
                {
                    node.Slots[i] = null;
                    node.Full |= bit;
                    ReleaseLeaf(leaf);
                }
            }
            else
            {
                BitmapNode child = existed
                    ? Unsafe.As<BitmapNode>(node.Slots[i]!)
                    : AttachNewNode(node, i, filled: false);
                SetRangeIn(child, lo, hi);
                if (child.Full == ulong.MaxValue)
                {
                    node.Slots[i] = null;
                    node.Full |= bit;
                    ReleaseNode(child);
                }
            }
        }
    }

    /// <summary>Clears bits <paramref name="first"/> .. <paramref name="last"/> (inclusive, both under <paramref name="node"/>).</summary>
    private void ClearRangeIn(BitmapNode node, ulong first, ulong last)
    {
        int slotBits = node.SlotBitShift;
        ulong slotSpan = 1UL << slotBits;
        int i0 = SlotOf(first, slotBits);
        int i1 = SlotOf(last, slotBits);
        ulong slotFirst = first & ~(slotSpan - 1);
        for (int i = i0; i <= i1; i++)
        {
            if (i != i0)
            {
                slotFirst += slotSpan;
            }

            ulong bit = 1UL << i;
            if ((node.Present & bit) == 0)
            {
                continue;
            }

            ulong slotLast = slotFirst + (slotSpan - 1);
            ulong lo = Math.Max(first, slotFirst);
            ulong hi = Math.Min(last, slotLast);
            if (lo == slotFirst && hi == slotLast)
            {
                ulong removed = (node.Full & bit) != 0 ? slotSpan : DetachChild(node, i);
                node.Present &= ~bit;
                node.Full &= ~bit;
                _count -= removed;
                continue;
            }

            object child = (node.Full & bit) != 0 ? OpenFullSlot(node, i) : node.Slots[i]!;
            if (node.Shift == 0)
            {
                var leaf = Unsafe.As<BitmapLeaf>(child);
                _count -= (ulong)leaf.ClearRange((int)lo & BitmapLeaf.Mask, (int)hi & BitmapLeaf.Mask);
                if (leaf.Count == 0)
                {
                    node.Slots[i] = null;
                    node.Present &= ~bit;
                    ReleaseLeaf(leaf);
                }
            }
            else
            {
                var childNode = Unsafe.As<BitmapNode>(child);
                ClearRangeIn(childNode, lo, hi);
                if (childNode.Present == 0)
                {
                    node.Slots[i] = null;
                    node.Present &= ~bit;
                    ReleaseNode(childNode);
                }
            }
        }
    }

    /// <summary>The slot index of <paramref name="bit"/> in a node whose slots span 2^<paramref name="slotBits"/> bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlotOf(ulong bit, int slotBits) => (int)(bit >> slotBits) & BitmapNode.SlotMask;
}
