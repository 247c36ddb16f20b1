using System.Numerics;

namespace Ballast.Bitmap;

/// <summary>A full structural check, for tests: slow, walks every node and leaf word.</summary>
public sealed partial class XBitmap
{
    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when the tree breaks one of its invariants: masks and
    /// slots agree, no empty node or leaf, no full leaf, no all-full node below the root, summaries and
    /// counts match the words, parent links are right, <see cref="Count"/> and <see cref="MemoryBytes"/>
    /// match a recount, the cached leaf is in the tree at the cached chunk.
    /// </summary>
    internal void CheckInvariants()
    {
        long memory = _spareLeaf is null ? 0 : BitmapLeaf.SizeInBytes;
        ulong count = 0;
        bool cacheSeen = _cachedLeaf is null;
        if (_root is null)
        {
            Require(_spareLeaf is null, "an empty bitmap keeps a spare leaf");
        }
        else
        {
            Require(_root.Parent is null, "root has a parent");
            Require(_root.Shift % BitmapNode.SlotShift == 0 && _root.Shift <= 48, "root shift");
            CheckNode(_root, 0, ref memory, ref count, ref cacheSeen);
        }

        Require(count == _count, $"Count {_count} but {count} bits are set");
        Require(memory == _memoryBytes, $"MemoryBytes {_memoryBytes} but the tree holds {memory}");
        Require(cacheSeen, "the cached leaf is not in the tree at the cached chunk");
    }

    private void CheckNode(BitmapNode node, ulong firstChunk, ref long memory, ref ulong count, ref bool cacheSeen)
    {
        memory += BitmapNode.SizeInBytes;
        Require(node.Present != 0, "a node in the tree has no present slot");
        Require((node.Full & ~node.Present) == 0, "a full slot is not present");
        Require(node.Parent is null || node.Full != ulong.MaxValue, "a non-root node is all full");
        for (int i = 0; i < BitmapNode.SlotCount; i++)
        {
            ulong bit = 1UL << i;
            object? child = node.Slots[i];
            bool holdsChild = (node.Present & ~node.Full & bit) != 0;
            Require(holdsChild == child is not null, $"slot {i} masks and contents disagree");
            ulong chunk = firstChunk + ((ulong)i << node.Shift);
            if ((node.Full & bit) != 0)
            {
                count += 1UL << node.SlotBitShift;
            }

            if (child is BitmapLeaf leaf)
            {
                Require(node.Shift == 0, "a leaf above the bottom level");
                Require(ReferenceEquals(leaf.Parent, node) && leaf.Index == i, "leaf parent link");
                CheckLeaf(leaf);
                memory += BitmapLeaf.SizeInBytes;
                count += (ulong)leaf.Count;
                cacheSeen |= ReferenceEquals(leaf, _cachedLeaf) && chunk == _cachedChunk;
            }
            else if (child is BitmapNode inner)
            {
                Require(node.Shift > 0 && inner.Shift == node.Shift - BitmapNode.SlotShift, "node shift");
                Require(ReferenceEquals(inner.Parent, node) && inner.Index == i, "node parent link");
                CheckNode(inner, chunk, ref memory, ref count, ref cacheSeen);
            }
        }
    }

    private static void CheckLeaf(BitmapLeaf leaf)
    {
        Require(leaf.Count > 0 && leaf.Count < BitmapLeaf.Bits, $"leaf count {leaf.Count}");
        int count = 0;
        for (int w = 0; w < BitmapLeaf.WordCount; w++)
        {
            ulong word = leaf.Words[w];
            count += BitOperations.PopCount(word);
            bool nonZero = (leaf.NonZero[w >> 6] & (1UL << w)) != 0;
            bool full = (leaf.Full[w >> 6] & (1UL << w)) != 0;
            Require(nonZero == (word != 0), $"NonZero summary of word {w}");
            Require(full == (word == ulong.MaxValue), $"Full summary of word {w}");
        }

        Require(count == leaf.Count, $"leaf count {leaf.Count} but {count} bits set");
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("XBitmap invariant broken: " + what);
        }
    }
}
