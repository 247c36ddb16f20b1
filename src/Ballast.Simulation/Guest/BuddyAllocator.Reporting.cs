namespace Ballast.Simulation.Guest;

/// <summary>
/// Free page reporting's part of the allocator (Linux keeps it in <c>mm/page_alloc.c</c> and
/// <c>mm/page_reporting.c</c>): a reported flag per free block and isolated blocks.
/// </summary>
/// <remarks>
/// <para>
/// A free block is <em>reported</em> once the host was told it is free (<see cref="PutBackIsolated"/> after a
/// report); the host may have dropped its memory. The flag lives in the block's head byte
/// (<see cref="FrameState.Reported"/>), so it goes when the block leaves the free list for any reason: allocated,
/// split, merged with its buddy (the merged block is unreported, as in Linux: part of it the host still backs), or
/// reserved. A reporting pass therefore never reports the same free block twice, and reports again whatever was
/// allocated and freed since.
/// </para>
/// <para>
/// <em>Isolated</em> blocks are off the free lists while a report is in flight (<see cref="IsolateUnreported"/>):
/// every frame reads <see cref="FrameState.Isolated"/>, so nothing can allocate, free, reserve or merge with them,
/// and they count neither as free nor as allocated (<see cref="IsolatedFrames"/>; Linux takes them out of
/// NR_FREE_PAGES too).
/// </para>
/// <para>
/// Where blocks go back, on purpose unlike Linux: a reported block goes to the <em>tail</em> of its list, so
/// allocations take unreported blocks (memory the host still backs) first and a pass finds unreported blocks from
/// the head. Linux puts it back through the ordinary free path and rotates the list so the next pass starts where
/// this one stopped.
/// </para>
/// </remarks>
public sealed partial class BuddyAllocator
{
    private ulong _isolatedFrames;

    /// <summary>Frames in free blocks marked reported.</summary>
    public ulong ReportedFrames
    {
        get
        {
            ulong frames = 0;
            for (var order = 0; order < OrderCount; order++)
                frames += (ulong)_reportedBlocks[order] << order;
            return frames;
        }
    }

    /// <summary>Frames of blocks taken off the free lists by <see cref="IsolateUnreported"/> and not put back yet.</summary>
    public ulong IsolatedFrames => _isolatedFrames;

    /// <summary>Free blocks of <paramref name="order"/> marked reported.</summary>
    public int ReportedBlocks(int order)
    {
        CheckOrder(order);
        return _reportedBlocks[order];
    }

    /// <summary>Free blocks of <paramref name="order"/> not reported (yet, or since they were last freed or merged).</summary>
    public int UnreportedBlocks(int order)
    {
        CheckOrder(order);
        return _blocks[order] - _reportedBlocks[order];
    }

    /// <summary>Whether <paramref name="pfn"/> lies in a free block marked reported (its contents may be gone).</summary>
    public bool IsReported(ulong pfn)
    {
        if (pfn >= _end || _state[pfn] >= FrameState.Allocated)
            return false;
        var (block, _) = FindFreeBlock((uint)pfn);
        return (_state[block] & FrameState.Reported) != 0;
    }

    /// <summary>
    /// Takes up to <paramref name="blocks"/>.Length unreported free blocks of <paramref name="order"/> off their list,
    /// from its head, and isolates them (Linux <c>__isolate_free_page</c>); writes their first frames to
    /// <paramref name="blocks"/>.
    /// </summary>
    /// <returns>How many were isolated: fewer than asked when the list has no more unreported blocks.</returns>
    public int IsolateUnreported(int order, Span<ulong> blocks)
    {
        CheckOrder(order);
        var wanted = Math.Min(blocks.Length, UnreportedBlocks(order));
        var taken = 0;
        var block = _heads[order];
        while (taken < wanted)
        {
            var next = _links[block].Next;
            if (_state[block] == FrameState.Head(order))
            {
                Unlink(block, order);
                _state.AsSpan((int)block, 1 << order).Fill(FrameState.Isolated);
                _isolatedFrames += 1UL << order;
                blocks[taken++] = block;
            }
            block = next;
        }
        return taken;
    }

    /// <summary>
    /// Puts an isolated block back on the free lists (Linux <c>__putback_isolated_page</c>), merging it with free
    /// buddies as <see cref="Free"/> does. With <paramref name="reported"/> (the host acknowledged the report) a block
    /// that did not merge is marked reported and goes to the tail of its list; a merged block, or one whose report
    /// failed, is unreported and goes to the head.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Order outside 0..10, or the block extends past <see cref="EndPfn"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pfn"/> is not aligned to 2^<paramref name="order"/>.</exception>
    /// <exception cref="InvalidOperationException">A frame of the block is not isolated.</exception>
    public void PutBackIsolated(ulong pfn, int order, bool reported)
    {
        CheckBlock(pfn, order);
        var frames = _state.AsSpan((int)pfn, 1 << order);
        var bad = frames.IndexOfAnyExcept(FrameState.Isolated);
        if (bad >= 0)
            throw new InvalidOperationException($"Frame 0x{pfn + (uint)bad:x} is not isolated (state 0x{frames[bad]:x2}).");
        frames.Clear();
        _isolatedFrames -= 1UL << order;

        var (block, merged) = MergeWithBuddies((uint)pfn, order);
        if (!reported || merged != order)
        {
            PushHead(block, merged);
            return;
        }
        PushTail(block, order);
        _state[block] |= FrameState.Reported;
        _reportedBlocks[order]++;
    }

    /// <summary>Every free block marked reported, as (first frame, order), lowest order first. O(free blocks).</summary>
    public IEnumerable<(ulong Pfn, int Order)> ReportedBlockList()
    {
        for (var order = 0; order < OrderCount; order++)
        {
            for (var block = _heads[order]; block != Nil; block = _links[block].Next)
            {
                if (_state[block] != FrameState.Head(order))
                    yield return (block, order);
            }
        }
    }
}
