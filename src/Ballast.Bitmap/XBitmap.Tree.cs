using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ballast.Bitmap;

/// <summary>Tree maintenance: descending, growing the root, folding full slots, pruning empty ones.</summary>
public sealed partial class XBitmap
{
    /// <summary>True when <paramref name="chunk"/> lies under <paramref name="root"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Covers(BitmapNode root, ulong chunk) =>
        (chunk >> (root.Shift + BitmapNode.SlotShift)) == 0;

    /// <summary>
    /// The leaf that holds <paramref name="chunk"/>, or null when the chunk is absent (all zeros) or lies in
    /// a full slot (<paramref name="full"/> true). Changes nothing.
    /// </summary>
    private BitmapLeaf? LookupLeaf(ulong chunk, out bool full)
    {
        full = false;
        BitmapNode? node = _root;
        if (node is null || !Covers(node, chunk))
        {
            return null;
        }

        while (true)
        {
            int i = (int)(chunk >> node.Shift) & BitmapNode.SlotMask;
            ulong bit = 1UL << i;
            if ((node.Present & bit) == 0)
            {
                return null;
            }

            if ((node.Full & bit) != 0)
            {
                full = true;
                return null;
            }

            object child = node.Slots[i]!;
            if (node.Shift == 0)
            {
                return Unsafe.As<BitmapLeaf>(child);
            }

            node = Unsafe.As<BitmapNode>(child);
        }
    }

    /// <summary>
    /// The leaf for <paramref name="chunk"/>, creating the path down to it; null when the chunk lies in a
    /// full slot (nothing to set).
    /// </summary>
    private BitmapLeaf? GetOrCreateLeaf(ulong chunk)
    {
        BitmapNode node = EnsureRootCovers(chunk);
        while (true)
        {
            int i = (int)(chunk >> node.Shift) & BitmapNode.SlotMask;
            ulong bit = 1UL << i;
            if ((node.Full & bit) != 0)
            {
                return null;
            }

            if ((node.Present & bit) == 0)
            {
                node.Present |= bit;
                if (node.Shift == 0)
                {
                    return AttachNewLeaf(node, i, filled: false);
                }

                node = AttachNewNode(node, i, filled: false);
                continue;
            }

            object child = node.Slots[i]!;
            if (node.Shift == 0)
            {
                return Unsafe.As<BitmapLeaf>(child);
            }

            node = Unsafe.As<BitmapNode>(child);
        }
    }

    /// <summary>
    /// The leaf for <paramref name="chunk"/> ready for clearing bits: full slots on the way are opened up
    /// (materialised as all-ones nodes and leaf). Null when the chunk is absent (nothing to clear).
    /// </summary>
    private BitmapLeaf? GetLeafForClear(ulong chunk)
    {
        BitmapNode? node = _root;
        if (node is null || !Covers(node, chunk))
        {
            return null;
        }

        while (true)
        {
            int i = (int)(chunk >> node.Shift) & BitmapNode.SlotMask;
            ulong bit = 1UL << i;
            if ((node.Present & bit) == 0)
            {
                return null;
            }

            object child = (node.Full & bit) != 0 ? OpenFullSlot(node, i) : node.Slots[i]!;
            if (node.Shift == 0)
            {
                return Unsafe.As<BitmapLeaf>(child);
            }

            node = Unsafe.As<BitmapNode>(child);
        }
    }

    /// <summary>Grows the tree upwards until the root covers <paramref name="chunk"/>; returns the root.</summary>
    private BitmapNode EnsureRootCovers(ulong chunk)
    {
        BitmapNode? root = _root;
        if (root is null)
        {
            int shift = 0;
            while ((chunk >> (shift + BitmapNode.SlotShift)) != 0)
            {
                shift += BitmapNode.SlotShift;
            }

            root = NewNode(shift, null, 0);
            _root = root;
            return root;
        }

        while (!Covers(root, chunk))
        {
            BitmapNode top = NewNode(root.Shift + BitmapNode.SlotShift, null, 0);
            top.Present = 1;
            if (root.Full == ulong.MaxValue)
            {
                top.Full = 1; // the old root was entirely set: fold it into a full slot
                ReleaseNode(root);
            }
            else
            {
                top.Slots[0] = root;
                root.Parent = top;
                root.Index = 0;
            }

            root = top;
            _root = root;
        }

        return root;
    }

    /// <summary>
    /// Replaces a leaf that has just become all ones by a full slot, then folds every ancestor (below the
    /// root) that thereby became all full.
    /// </summary>
    private void PromoteFullLeaf(BitmapLeaf leaf)
    {
        BitmapNode node = leaf.Parent!;
        int i = leaf.Index;
        node.Slots[i] = null;
        node.Full |= 1UL << i;
        ReleaseLeaf(leaf);

        while (node.Full == ulong.MaxValue && node.Parent is { } parent)
        {
            parent.Slots[node.Index] = null;
            parent.Full |= 1UL << node.Index;
            ReleaseNode(node);
            node = parent;
        }
    }

    /// <summary>Removes a leaf that has just become all zeros, then every ancestor left with no present slot.</summary>
    private void RemoveEmptyLeaf(BitmapLeaf leaf)
    {
        BitmapNode node = leaf.Parent!;
        int i = leaf.Index;
        node.Slots[i] = null;
        node.Present &= ~(1UL << i);
        ReleaseLeaf(leaf);
        PruneEmpty(node);
    }

    /// <summary>Removes <paramref name="node"/> and its ancestors while they have no present slot.</summary>
    private void PruneEmpty(BitmapNode node)
    {
        while (node.Present == 0)
        {
            BitmapNode? parent = node.Parent;
            ReleaseNode(node);
            if (parent is null)
            {
                _root = null;
                ReleaseSpare();
                return;
            }

            parent.Slots[node.Index] = null;
            parent.Present &= ~(1UL << node.Index);
            node = parent;
        }
    }

    /// <summary>
    /// Turns full slot <paramref name="i"/> of <paramref name="node"/> into an all-ones child (a node with
    /// every slot full, or a leaf with every bit set) so part of it can be cleared. Returns the child.
    /// </summary>
    private object OpenFullSlot(BitmapNode node, int i)
    {
        node.Full &= ~(1UL << i);
        if (node.Shift == 0)
        {
            return AttachNewLeaf(node, i, filled: true);
        }

        return AttachNewNode(node, i, filled: true);
    }

    private BitmapNode AttachNewNode(BitmapNode parent, int i, bool filled)
    {
        var child = NewNode(parent.Shift - BitmapNode.SlotShift, parent, i);
        if (filled)
        {
            child.Present = ulong.MaxValue;
            child.Full = ulong.MaxValue;
        }

        parent.Slots[i] = child;
        return child;
    }

    private BitmapLeaf AttachNewLeaf(BitmapNode parent, int i, bool filled)
    {
        BitmapLeaf? leaf = _spareLeaf;
        if (leaf is null)
        {
            leaf = new BitmapLeaf();
            _memoryBytes += BitmapLeaf.SizeInBytes;
            if (filled)
            {
                leaf.SetAll();
            }
        }
        else
        {
            _spareLeaf = null;
            if (filled)
            {
                leaf.SetAll();
            }
            else
            {
                leaf.ClearAll();
            }
        }

        leaf.Parent = parent;
        leaf.Index = i;
        parent.Slots[i] = leaf;
        return leaf;
    }

    private BitmapNode NewNode(int shift, BitmapNode? parent, int index)
    {
        _memoryBytes += BitmapNode.SizeInBytes;
        return new BitmapNode(shift, parent, index);
    }

    private void ReleaseNode(BitmapNode node)
    {
        node.Parent = null;
        _memoryBytes -= BitmapNode.SizeInBytes;
    }

    /// <summary>Drops a leaf from the tree; keeps it as the spare (still counted) if there is none yet.</summary>
    private void ReleaseLeaf(BitmapLeaf leaf)
    {
        if (ReferenceEquals(leaf, _cachedLeaf))
        {
            _cachedLeaf = null;
        }

        leaf.Parent = null;
        if (_spareLeaf is null)
        {
            _spareLeaf = leaf;
        }
        else
        {
            _memoryBytes -= BitmapLeaf.SizeInBytes;
        }
    }

    /// <summary>Frees the spare leaf: called when the tree becomes empty, so an empty bitmap holds nothing.</summary>
    private void ReleaseSpare()
    {
        if (_spareLeaf is not null)
        {
            _spareLeaf = null;
            _memoryBytes -= BitmapLeaf.SizeInBytes;
        }
    }

    /// <summary>
    /// Frees slot <paramref name="i"/>'s child of <paramref name="node"/> and everything under it; returns
    /// how many bits were set there. The slot's masks are left for the caller to rewrite.
    /// </summary>
    private ulong DetachChild(BitmapNode node, int i)
    {
        object child = node.Slots[i]!;
        node.Slots[i] = null;
        if (node.Shift == 0)
        {
            var leaf = Unsafe.As<BitmapLeaf>(child);
            ulong count = (ulong)leaf.Count;
            ReleaseLeaf(leaf);
            return count;
        }

        return DetachSubtree(Unsafe.As<BitmapNode>(child));
    }

    private ulong DetachSubtree(BitmapNode node)
    {
        Debug.Assert(node.Full != ulong.MaxValue || node.Parent is null, "non-root nodes are never all full");
        ulong total = (ulong)BitOperations.PopCount(node.Full) << node.SlotBitShift;
        ulong children = node.Present & ~node.Full;
        while (children != 0)
        {
            int i = BitOperations.TrailingZeroCount(children);
            total += DetachChild(node, i);
            children &= children - 1;
        }

        ReleaseNode(node);
        return total;
    }
}
