// Over 400 lines on purpose: one algorithm whose invariants (the remarks below) bind allocation, freeing, reserving
// and the integrity check together; split by method it would scatter the rules each method relies on.
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ballast.Simulation.Guest;

/// <summary>
/// The simulated guest's page allocator: a binary buddy allocator over 4 KiB guest frames
/// [0, <see cref="EndPfn"/>), with holes, orders 0..<see cref="MaxOrder"/> (4 MiB blocks). It plays
/// the part of Linux's <c>mm/page_alloc.c</c> for the balloon driver, which allocates pages one at a
/// time (<c>alloc_page</c>) and reports their PFNs to the device.
/// </summary>
/// <remarks>
/// <para>
/// Buddy rules, as in Linux: a free block of order k is 2^k frames aligned to 2^k; there is one free
/// list per order; <see cref="TryAlloc"/> takes the smallest non-empty order ≥ k and splits it,
/// returning each unused half to the next lower list; <see cref="Free"/> merges the block with its
/// buddy (pfn ^ 2^k) for as long as the buddy is a free block of the same order. The free state is
/// therefore always fully merged: every free frame sits in the largest aligned, entirely free block
/// (up to order 10) that contains it.
/// </para>
/// <para>
/// Ordering, chosen so an idle guest hands out pages roughly the way Linux does:
/// <list type="bullet">
/// <item>Allocation pops the head of a free list; splits and frees push at the head (LIFO, like
/// <c>expand()</c> and <c>__free_one_page()</c> without the merge-likely tail heuristic).</item>
/// <item>A split hands out the lower half and keeps the upper half free (<c>expand()</c> adds
/// <c>page[size]</c> to the lower list). With LIFO lists, consecutive order-0 allocations therefore walk
/// up through a 4 MiB block one frame at a time: 0, 1, 2, 3, …</item>
/// <item>The constructor and <see cref="Reserve"/> append blocks at the tail in ascending PFN order, so
/// the lowest block of an order is handed out first — Linux (since 5.10) releases boot memory to the
/// buddy with <c>FPI_TO_TAIL</c> for the same effect. An idle guest thus fills memory bottom-up.</item>
/// </list>
/// Per-CPU page lists, migrate types and zones are not modelled.
/// </para>
/// <para>
/// Cost: one state byte (<see cref="FrameState"/>) and one 8-byte <see cref="FreeLink"/> per frame in
/// the span — 9 bytes per 4 KiB frame, 18 MiB for an 8 GiB guest. Lists are intrusive and doubly
/// linked, so removing a buddy is O(1); a bit mask of non-empty orders finds the list to split from.
/// Order-0 alloc and free allocate no managed memory. Not thread-safe.
/// </para>
/// <para>
/// Misuse throws: freeing a frame that is not allocated (double free, hole), a misaligned or
/// out-of-range block, an order outside 0..10, reserving a frame that is already allocated.
/// </para>
/// <para>
/// Free page reporting (BuddyAllocator.Reporting.cs) adds a reported flag per free block and isolated blocks; a
/// reported block merges and is allocated like any other, and loses the flag when it does.
/// </para>
/// </remarks>
public sealed partial class BuddyAllocator
{
    /// <summary>Largest block order (Linux <c>MAX_PAGE_ORDER</c> on x86-64): 2^10 frames = 4 MiB.</summary>
    public const int MaxOrder = 10;

    /// <summary>Number of free lists, one per order 0..<see cref="MaxOrder"/>.</summary>
    public const int OrderCount = MaxOrder + 1;

    /// <summary>Frames per <see cref="MaxOrder"/> block.</summary>
    public const ulong MaxOrderFrames = 1UL << MaxOrder;

    /// <summary>End of a free list.</summary>
    internal const uint Nil = uint.MaxValue;

    private readonly byte[] _state;
    private readonly FreeLink[] _links;
    private readonly uint[] _heads = new uint[OrderCount];
    private readonly uint[] _tails = new uint[OrderCount];
    private readonly int[] _blocks = new int[OrderCount];
    private readonly int[] _reportedBlocks = new int[OrderCount];
    private readonly uint _end;
    private uint _nonEmpty;
    private ulong _freeFrames;
    private long _allocations;
    private long _frees;

    /// <summary>
    /// Creates an allocator whose usable frames are the given ranges; every other frame below the
    /// highest range end is a hole. Ranges may come in any order and may abut (abutting ranges are
    /// joined), must not overlap; empty ranges are ignored. Each range is carved into the largest
    /// aligned blocks that fit, so the initial free state is fully merged.
    /// </summary>
    /// <param name="ranges">Usable guest RAM as (first PFN, frame count), e.g. QEMU's
    /// <c>[(0, 0xf0), (0x100, n - 0x100)]</c>.</param>
    /// <exception cref="ArgumentException">Ranges overlap or extend past the supported span.</exception>
    public BuddyAllocator(IReadOnlyList<(ulong StartPfn, ulong Count)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var sorted = new List<(ulong Start, ulong End)>(ranges.Count);
        foreach (var (start, count) in ranges)
        {
            if (count == 0)
                continue;
            if (start > ulong.MaxValue - count || start + count > (ulong)Array.MaxLength)
                throw new ArgumentException(
                    $"Range 0x{start:x}+0x{count:x} ends beyond the largest supported PFN 0x{Array.MaxLength:x}.",
                    nameof(ranges));
            sorted.Add((start, start + count));
        }

        sorted.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Start < sorted[i - 1].End)
                throw new ArgumentException(
                    $"Ranges [0x{sorted[i - 1].Start:x}, 0x{sorted[i - 1].End:x}) and " +
                    $"[0x{sorted[i].Start:x}, 0x{sorted[i].End:x}) overlap.",
                    nameof(ranges));
        }

        _end = sorted.Count == 0 ? 0 : (uint)sorted[^1].End;
        _state = new byte[_end];
        _links = new FreeLink[_end];
        // Write every link once now, as Linux's memmap exists from boot: otherwise the first allocation of each
        // frame page-faults the simulator's own metadata (~4,000 faults for 8 GiB, ~7-18 µs each in a nested VM)
        // and an alloc stage would measure the simulator, not the allocator.
        _links.AsSpan().Clear();
        Array.Fill(_state, FrameState.Hole);
        _heads.AsSpan().Fill(Nil);
        _tails.AsSpan().Fill(Nil);

        // Join abutting ranges first so that carving never leaves two free buddies unmerged.
        var i0 = 0;
        while (i0 < sorted.Count)
        {
            var start = sorted[i0].Start;
            var end = sorted[i0].End;
            var i1 = i0 + 1;
            while (i1 < sorted.Count && sorted[i1].Start == end)
                end = sorted[i1++].End;
            _state.AsSpan((int)start, (int)(end - start)).Fill(FrameState.FreeTail);
            CarveFree((uint)start, (uint)end);
            TotalFrames += end - start;
            i0 = i1;
        }
    }

    /// <summary>One past the highest usable PFN: the allocator covers frames [0, EndPfn), holes included.</summary>
    public ulong EndPfn => _end;

    /// <summary>Usable frames (the sum of the range counts; holes excluded).</summary>
    public ulong TotalFrames { get; }

    /// <summary>Frames currently on the free lists (Linux <c>NR_FREE_PAGES</c>).</summary>
    public ulong FreeFrames => _freeFrames;

    /// <summary>Usable frames currently allocated, by <see cref="TryAlloc"/> or <see cref="Reserve"/>.</summary>
    public ulong AllocatedFrames => TotalFrames - _freeFrames;

    /// <summary>Successful <see cref="TryAlloc"/> calls since construction (reservations are not counted).</summary>
    public long Allocations => _allocations;

    /// <summary><see cref="Free"/> calls since construction.</summary>
    public long Frees => _frees;

    /// <summary>Number of free blocks on the list of <paramref name="order"/> (a row of <c>/proc/buddyinfo</c>).</summary>
    public int FreeBlocks(int order)
    {
        CheckOrder(order);
        return _blocks[order];
    }

    /// <summary>Whether <paramref name="pfn"/> is guest RAM (below <see cref="EndPfn"/> and not in a hole).</summary>
    public bool IsUsable(ulong pfn) => pfn < _end && _state[pfn] != FrameState.Hole;

    /// <summary>Whether <paramref name="pfn"/> is usable and currently allocated; false for free frames,
    /// holes and PFNs at or beyond <see cref="EndPfn"/>.</summary>
    public bool IsAllocated(ulong pfn) => pfn < _end && _state[pfn] == FrameState.Allocated;

    /// <summary>
    /// Allocates a block of 2^<paramref name="order"/> frames aligned to its size (Linux
    /// <c>alloc_pages(order)</c>): takes the head of the smallest non-empty free list of order ≥
    /// <paramref name="order"/>, hands out its lower part and returns the upper halves to the lower lists.
    /// </summary>
    /// <param name="order">0..<see cref="MaxOrder"/>.</param>
    /// <param name="pfn">The first frame of the block; 0 when the call fails.</param>
    /// <returns>False, with nothing changed, when no free block of that order or larger exists.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAlloc(int order, out ulong pfn)
    {
        CheckOrder(order);
        var candidates = _nonEmpty >> order;
        if (candidates == 0)
        {
            pfn = 0;
            return false;
        }

        var current = order + BitOperations.TrailingZeroCount(candidates);
        var block = _heads[current];
        Unlink(block, current);
        while (current > order)
        {
            current--;
            PushHead(block + (1u << current), current);
        }

        if (order == 0)
            _state[block] = FrameState.Allocated;
        else
            _state.AsSpan((int)block, 1 << order).Fill(FrameState.Allocated);
        _allocations++;
        pfn = block;
        return true;
    }

    /// <summary>
    /// Frees the block of 2^<paramref name="order"/> frames at <paramref name="pfn"/> (Linux
    /// <c>__free_pages(page, order)</c>) and merges it with its buddy while the buddy is a free block
    /// of the same order. Every frame of the block must be allocated, but the block need not have been
    /// allocated with the same order: freeing part of a larger allocation, or a reserved frame, is
    /// allowed (as after Linux <c>split_page()</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Order outside 0..10, or the block extends past <see cref="EndPfn"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pfn"/> is not aligned to 2^<paramref name="order"/>.</exception>
    /// <exception cref="InvalidOperationException">A frame of the block is not allocated (double free, hole).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Free(ulong pfn, int order)
    {
        CheckBlock(pfn, order);
        var block = (uint)pfn;
        if (order == 0)
        {
            if (_state[block] != FrameState.Allocated)
                ThrowNotAllocated(pfn, _state[block]);
            _state[block] = FrameState.FreeTail;
        }
        else
        {
            var frames = _state.AsSpan((int)block, 1 << order);
            var bad = frames.IndexOfAnyExcept(FrameState.Allocated);
            if (bad >= 0)
                ThrowNotAllocated(pfn + (uint)bad, frames[bad]);
            frames.Clear();
        }

        (block, order) = MergeWithBuddies(block, order);
        PushHead(block, order);
        _frees++;
    }

    /// <summary>
    /// Marks every usable frame of [<paramref name="startPfn"/>, <paramref name="startPfn"/> +
    /// <paramref name="count"/>) allocated, wherever it sits in the free lists: each free block that
    /// overlaps the range is taken off its list and the parts outside the range go back as the largest
    /// aligned blocks that fit. Holes inside the range are skipped. Used to build guest profiles
    /// ("1 GiB in use at low addresses"); reserved frames can later be freed with <see cref="Free"/>.
    /// Does not count as an allocation in <see cref="Allocations"/>.
    /// </summary>
    /// <returns>The number of frames reserved (the usable frames of the range).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range extends past <see cref="EndPfn"/>.</exception>
    /// <exception cref="InvalidOperationException">A frame of the range is already allocated or isolated for a report; nothing is changed.</exception>
    public ulong Reserve(ulong startPfn, ulong count)
    {
        if (startPfn > _end || count > _end - startPfn)
            throw new ArgumentOutOfRangeException(
                nameof(count),
                $"Range 0x{startPfn:x}+0x{count:x} extends past the end of guest memory (PFN 0x{_end:x}).");
        if (count == 0)
            return 0;

        var taken = _state.AsSpan((int)startPfn, (int)count).IndexOfAnyInRange(FrameState.Allocated, FrameState.Isolated);
        if (taken >= 0)
            throw new InvalidOperationException(_state[(int)startPfn + taken] == FrameState.Isolated
                ? $"Frame 0x{startPfn + (uint)taken:x} is isolated for a report."
                : $"Frame 0x{startPfn + (uint)taken:x} is already allocated.");

        return ReserveFree((uint)startPfn, (uint)(startPfn + count));
    }

    /// <summary>
    /// Reserves a uniformly random subset of the currently free frames — exactly
    /// round(<paramref name="fraction"/> × <see cref="FreeFrames"/>) of them — chosen by selection
    /// sampling in one ascending pass, so the result depends only on the free state and
    /// <paramref name="seed"/>. Used for the "pin a random 25%" profile; O(frames) overall.
    /// </summary>
    /// <returns>The number of frames reserved.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in [0, 1].</exception>
    public ulong ReserveRandom(double fraction, int seed)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Fraction must be in [0, 1].");

        var random = new Random(seed);
        var candidates = _freeFrames;
        var wanted = (ulong)Math.Round(fraction * candidates);
        var remaining = wanted;
        for (uint pfn = 0; pfn < _end && remaining > 0; pfn++)
        {
            if (_state[pfn] >= FrameState.Allocated)
                continue;

            // Knuth's Algorithm S: pick this frame with probability remaining / candidates.
            if (random.NextDouble() * candidates < remaining)
            {
                ReserveFree(pfn, pfn + 1);
                remaining--;
            }

            candidates--;
        }

        return wanted;
    }

    /// <summary>
    /// Checks every invariant of the free lists against the frame states and throws
    /// <see cref="InvalidOperationException"/> on the first violation. O(frames); for tests.
    /// </summary>
    internal void Validate()
    {
        ulong listed = 0;
        ulong tailFrames = 0;
        ulong reported = 0;
        for (var order = 0; order < OrderCount; order++)
        {
            var count = 0;
            var reportedCount = 0;
            var prev = Nil;
            for (var block = _heads[order]; block != Nil; block = _links[block].Next)
            {
                if (block >= _end)
                    throw Corrupt($"order {order} list holds PFN 0x{block:x} beyond the end");
                if (_links[block].Prev != prev)
                    throw Corrupt($"order {order} block 0x{block:x} has a bad prev link");
                if (FrameState.Unreported(_state[block]) != FrameState.Head(order))
                    throw Corrupt($"order {order} block 0x{block:x} has state 0x{_state[block]:x2}");
                if (_state[block] != FrameState.Head(order))
                    reportedCount++;
                if ((block & ((1u << order) - 1)) != 0 || _end - block < (1u << order))
                    throw Corrupt($"order {order} block 0x{block:x} is misaligned or runs past the end");
                if (_state.AsSpan((int)block + 1, (1 << order) - 1).IndexOfAnyExcept(FrameState.FreeTail) >= 0)
                    throw Corrupt($"order {order} block 0x{block:x} has a frame that is not free");
                if (order < MaxOrder)
                {
                    var buddy = block ^ (1u << order);
                    if (buddy < _end && FrameState.Unreported(_state[buddy]) == FrameState.Head(order))
                        throw Corrupt($"order {order} blocks 0x{block:x} and 0x{buddy:x} are free buddies, not merged");
                }

                if (++count > _end)
                    throw Corrupt($"order {order} list has a cycle");
                prev = block;
            }

            if (_tails[order] != prev)
                throw Corrupt($"order {order} tail is 0x{_tails[order]:x}, last block is 0x{prev:x}");
            if (_blocks[order] != count)
                throw Corrupt($"order {order} counts {_blocks[order]} blocks, list has {count}");
            if (_reportedBlocks[order] != reportedCount)
                throw Corrupt($"order {order} counts {_reportedBlocks[order]} reported blocks, list has {reportedCount}");
            reported += (ulong)reportedCount << order;
            if (((_nonEmpty >> order) & 1) != (count > 0 ? 1u : 0u))
                throw Corrupt($"order {order} non-empty bit disagrees with the list");
            listed += (ulong)count << order;
            tailFrames += (ulong)count * ((1UL << order) - 1);
        }

        if (listed != _freeFrames)
            throw Corrupt($"lists hold {listed} frames, FreeFrames is {_freeFrames}");

        if (reported != ReportedFrames)
            throw Corrupt($"lists hold {reported} reported frames, ReportedFrames is {ReportedFrames}");

        ulong usable = 0;
        ulong free = 0;
        ulong tails = 0;
        ulong isolated = 0;
        foreach (var state in _state)
        {
            if (state == FrameState.Isolated)
                isolated++;
            if (state != FrameState.Hole)
                usable++;
            if (state < FrameState.Allocated)
                free++;
            if (state == FrameState.FreeTail)
                tails++;
        }

        if (usable != TotalFrames)
            throw Corrupt($"{usable} usable frames, TotalFrames is {TotalFrames}");
        if (free != _freeFrames || tails != tailFrames)
            throw Corrupt($"{free} free frames ({tails} non-head), lists hold {_freeFrames} ({tailFrames} non-head)");
        if (isolated != _isolatedFrames)
            throw Corrupt($"{isolated} isolated frames, IsolatedFrames is {_isolatedFrames}");
    }

    /// <summary>Reserves the usable frames of [start, end), all of which are free or holes.</summary>
    private ulong ReserveFree(uint start, uint end)
    {
        ulong reserved = 0;
        var pfn = start;
        while (pfn < end)
        {
            if (_state[pfn] == FrameState.Hole)
            {
                var usable = _state.AsSpan((int)pfn, (int)(end - pfn)).IndexOfAnyExcept(FrameState.Hole);
                if (usable < 0)
                    break;
                pfn += (uint)usable;
            }

            var (block, order) = FindFreeBlock(pfn);
            Unlink(block, order);
            var blockEnd = block + (1u << order);
            var stop = Math.Min(end, blockEnd);
            CarveFree(block, pfn);
            _state.AsSpan((int)pfn, (int)(stop - pfn)).Fill(FrameState.Allocated);
            CarveFree(stop, blockEnd);
            reserved += stop - pfn;
            pfn = stop;
        }

        return reserved;
    }

    /// <summary>
    /// Merges the block at <paramref name="block"/>, whose frames are free but which is on no list yet, with its buddy
    /// for as long as the buddy is a free block of the same order, reported or not (the merged block is not); returns
    /// the merged block for the caller to push.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (uint Block, int Order) MergeWithBuddies(uint block, int order)
    {
        while (order < MaxOrder)
        {
            var buddy = block ^ (1u << order);
            if (buddy >= _end || FrameState.Unreported(_state[buddy]) != FrameState.Head(order))
                break;
            Unlink(buddy, order);
            _state[buddy] = FrameState.FreeTail;
            block &= ~(1u << order);
            order++;
        }
        return (block, order);
    }

    /// <summary>Throws for an order outside 0..10, a block not aligned to its order, or one running past the end.</summary>
    private void CheckBlock(ulong pfn, int order)
    {
        CheckOrder(order);
        var size = 1UL << order;
        if ((pfn & (size - 1)) != 0)
            ThrowMisaligned(pfn, order);
        if (pfn >= _end || _end - pfn < size)
            ThrowBlockOutOfRange(pfn, order, _end);
    }

    /// <summary>The free block containing the free frame <paramref name="pfn"/>: the head of a block of
    /// order k is pfn rounded down to 2^k, so probing each order finds it.</summary>
    private (uint Block, int Order) FindFreeBlock(uint pfn)
    {
        for (var order = 0; order < OrderCount; order++)
        {
            var block = pfn & ~((1u << order) - 1);
            if (FrameState.Unreported(_state[block]) == FrameState.Head(order))
                return (block, order);
        }

        throw Corrupt($"free frame 0x{pfn:x} lies in no free block");
    }

    /// <summary>Appends [start, end) — free frames whose bytes are already <see cref="FrameState.FreeTail"/>
    /// — to the free lists as the largest aligned blocks that fit, lowest first, at the list tails.</summary>
    private void CarveFree(uint start, uint end)
    {
        while (start < end)
        {
            var order = Math.Min(MaxOrder, BitOperations.Log2(end - start));
            if (start != 0)
                order = Math.Min(order, BitOperations.TrailingZeroCount(start));
            PushTail(start, order);
            start += 1u << order;
        }
    }

    private void PushHead(uint block, int order)
    {
        var head = _heads[order];
        _links[block] = new FreeLink { Next = head, Prev = Nil };
        if (head == Nil)
            _tails[order] = block;
        else
            _links[head].Prev = block;
        _heads[order] = block;
        Added(block, order);
    }

    private void PushTail(uint block, int order)
    {
        var tail = _tails[order];
        _links[block] = new FreeLink { Next = Nil, Prev = tail };
        if (tail == Nil)
            _heads[order] = block;
        else
            _links[tail].Next = block;
        _tails[order] = block;
        Added(block, order);
    }

    private void Added(uint block, int order)
    {
        _state[block] = FrameState.Head(order);
        _blocks[order]++;
        _nonEmpty |= 1u << order;
        _freeFrames += 1UL << order;
    }

    /// <summary>Takes a free block off its list (and so out of the reported count); its head byte is left for the caller to rewrite.</summary>
    private void Unlink(uint block, int order)
    {
        if (_state[block] != FrameState.Head(order))
            _reportedBlocks[order]--;
        var link = _links[block];
        if (link.Prev == Nil)
            _heads[order] = link.Next;
        else
            _links[link.Prev].Next = link.Next;
        if (link.Next == Nil)
            _tails[order] = link.Prev;
        else
            _links[link.Next].Prev = link.Prev;
        if (--_blocks[order] == 0)
            _nonEmpty &= ~(1u << order);
        _freeFrames -= 1UL << order;
    }

    private static void CheckOrder(int order)
    {
        if ((uint)order > MaxOrder)
            ThrowBadOrder(order);
    }

    private static InvalidOperationException Corrupt(string what) =>
        new($"Buddy allocator corrupted: {what}.");

    [DoesNotReturn]
    private static void ThrowBadOrder(int order) =>
        throw new ArgumentOutOfRangeException(nameof(order), order, $"Order must be 0..{MaxOrder}.");

    [DoesNotReturn]
    private static void ThrowMisaligned(ulong pfn, int order) =>
        throw new ArgumentException($"PFN 0x{pfn:x} is not aligned to an order-{order} block ({1UL << order} frames).", nameof(pfn));

    [DoesNotReturn]
    private static void ThrowBlockOutOfRange(ulong pfn, int order, uint end) =>
        throw new ArgumentOutOfRangeException(
            nameof(pfn), $"Order-{order} block at PFN 0x{pfn:x} extends past the end of guest memory (PFN 0x{end:x}).");

    [DoesNotReturn]
    private static void ThrowNotAllocated(ulong pfn, byte state) =>
        throw new InvalidOperationException(state switch
        {
            FrameState.Hole => $"Frame 0x{pfn:x} is in a hole and was never allocated.",
            FrameState.Isolated => $"Frame 0x{pfn:x} is isolated for a report, not allocated.",
            _ => $"Frame 0x{pfn:x} is not allocated (double free?).",
        });
}
