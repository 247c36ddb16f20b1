using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>Searches: the cached leaf first, then a descent that skips absent/full slots by mask.</summary>
public sealed partial class XBitmap
{
    /// <summary>
    /// The first set bit in [<paramref name="start"/>, <paramref name="end"/>), or <paramref name="end"/>
    /// when there is none (<c>xb_find_set</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is after <paramref name="end"/>.</exception>
    public ulong FindSet(ulong start, ulong end)
    {
        if (start > end)
        {
            ThrowHelper.ThrowStartAfterEnd(start, end);
        }

        return FindSetCore(start, end);
    }

    /// <summary>
    /// The first clear bit in [<paramref name="start"/>, <paramref name="end"/>), or <paramref name="end"/>
    /// when there is none (<c>xb_find_zero</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is after <paramref name="end"/>.</exception>
    public ulong FindZero(ulong start, ulong end)
    {
        if (start > end)
        {
            ThrowHelper.ThrowStartAfterEnd(start, end);
        }

        return FindZeroCore(start, end);
    }

    /// <summary>
    /// The maximal runs of set bits in [<paramref name="start"/>, <paramref name="end"/>), ascending, each
    /// clipped to the range: the walk tell_host_sgs() does with xb_find_set/xb_find_zero pairs. Enumerating
    /// allocates nothing. Each step searches from where the previous run ended, so changing bits behind the
    /// cursor is harmless; bits changed ahead of it are seen as they are when reached.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is after <paramref name="end"/>.</exception>
    public XBitmapRuns Runs(ulong start, ulong end)
    {
        if (start > end)
        {
            ThrowHelper.ThrowStartAfterEnd(start, end);
        }

        return new XBitmapRuns(this, start, end);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong FindSetCore(ulong start, ulong end)
    {
        if (start >= end)
        {
            return end;
        }

        ulong chunk = start >> BitmapLeaf.Shift;
        BitmapLeaf? leaf = _cachedLeaf;
        if (leaf is not null && chunk == _cachedChunk)
        {
            int found = leaf.FindSet((int)start & BitmapLeaf.Mask);
            if (found >= 0)
            {
                ulong bit = (chunk << BitmapLeaf.Shift) | (uint)found;
                return bit < end ? bit : end;
            }

            if (chunk == LastChunk)
            {
                return end;
            }

            start = (chunk + 1) << BitmapLeaf.Shift;
            if (start >= end)
            {
                return end;
            }
        }

        ulong result = FindSetFrom(start);
        return result < end ? result : end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong FindZeroCore(ulong start, ulong end)
    {
        if (start >= end)
        {
            return end;
        }

        ulong chunk = start >> BitmapLeaf.Shift;
        BitmapLeaf? leaf = _cachedLeaf;
        if (leaf is not null && chunk == _cachedChunk)
        {
            int found = leaf.FindZero((int)start & BitmapLeaf.Mask);
            if (found >= 0)
            {
                ulong bit = (chunk << BitmapLeaf.Shift) | (uint)found;
                return bit < end ? bit : end;
            }

            // Unreachable for the last chunk: its bit 2^64-1 is never set.
            start = (chunk + 1) << BitmapLeaf.Shift;
            if (start >= end)
            {
                return end;
            }
        }

        ulong result = FindZeroFrom(start);
        return result < end ? result : end;
    }

    /// <summary>The first set bit at or after <paramref name="position"/>, or <see cref="InvalidBit"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong FindSetFrom(ulong position)
    {
        BitmapNode? root = _root;
        if (root is null || !Covers(root, position >> BitmapLeaf.Shift))
        {
            return InvalidBit;
        }

        return FindSetIn(root, position);
    }

    /// <summary>
    /// The first clear bit at or after <paramref name="position"/>; <see cref="InvalidBit"/> (2^64−1, itself
    /// never set) when every valid bit from there on is set.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong FindZeroFrom(ulong position)
    {
        BitmapNode? root = _root;
        if (root is null || !Covers(root, position >> BitmapLeaf.Shift))
        {
            return position;
        }

        ulong found = FindZeroIn(root, position);
        if (found != InvalidBit)
        {
            return found;
        }

        // Everything the root covers from position on is set: the first zero is just past the root.
        int coveredBits = root.SlotBitShift + BitmapNode.SlotShift;
        return coveredBits < 64 ? 1UL << coveredBits : InvalidBit;
    }

    private ulong FindSetIn(BitmapNode node, ulong position)
    {
        int slotBits = node.SlotBitShift;
        int i = SlotOf(position, slotBits);
        ulong candidates = node.Present & (ulong.MaxValue << i);
        while (candidates != 0)
        {
            int j = BitOperations.TrailingZeroCount(candidates);
            ulong from = j == i ? position : SlotStart(position, slotBits, j);
            if ((node.Full & (1UL << j)) != 0)
            {
                return from;
            }

            object child = node.Slots[j]!;
            if (node.Shift == 0)
            {
                var leaf = Unsafe.As<BitmapLeaf>(child);
                int found = leaf.FindSet((int)from & BitmapLeaf.Mask);
                if (found >= 0)
                {
                    ulong chunk = from >> BitmapLeaf.Shift;
                    Remember(leaf, chunk);
                    return (chunk << BitmapLeaf.Shift) | (uint)found;
                }
            }
            else
            {
                ulong found = FindSetIn(Unsafe.As<BitmapNode>(child), from);
                if (found != InvalidBit)
                {
                    return found;
                }
            }

            candidates &= candidates - 1;
        }

        return InvalidBit;
    }

    private ulong FindZeroIn(BitmapNode node, ulong position)
    {
        int slotBits = node.SlotBitShift;
        int i = SlotOf(position, slotBits);
        ulong candidates = ~node.Full & (ulong.MaxValue << i);
        if (slotBits == 63)
        {
            candidates &= 0b11; // the top node: only slots 0 and 1 lie below 2^64
        }

        while (candidates != 0)
        {
            int j = BitOperations.TrailingZeroCount(candidates);
            ulong from = j == i ? position : SlotStart(position, slotBits, j);
            if ((node.Present & (1UL << j)) == 0)
            {
                return from;
            }

            object child = node.Slots[j]!;
            if (node.Shift == 0)
            {
                var leaf = Unsafe.As<BitmapLeaf>(child);
                int found = leaf.FindZero((int)from & BitmapLeaf.Mask);
                if (found >= 0)
                {
                    ulong chunk = from >> BitmapLeaf.Shift;
                    Remember(leaf, chunk);
                    return (chunk << BitmapLeaf.Shift) | (uint)found;
                }
            }
            else
            {
                ulong found = FindZeroIn(Unsafe.As<BitmapNode>(child), from);
                if (found != InvalidBit)
                {
                    return found;
                }
            }

            candidates &= candidates - 1;
        }

        return InvalidBit;
    }

    /// <summary>First bit of slot <paramref name="j"/> in the node that holds <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SlotStart(ulong position, int slotBits, int j) =>
        (((position >> slotBits) & ~(ulong)BitmapNode.SlotMask) | (uint)j) << slotBits;
}
