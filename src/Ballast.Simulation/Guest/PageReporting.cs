using System.Diagnostics;

namespace Ballast.Simulation.Guest;

/// <summary>
/// The simulated guest's free page reporting (the part Linux keeps in <c>mm/page_reporting.c</c>; VIRTIO 1.2
/// §5.5.6.6 is the device side): takes unreported free blocks of at least <see cref="Order"/> off the allocator's
/// free lists, hands them to the driver <see cref="Capacity"/> at a time (one virtqueue buffer), and puts them back
/// marked reported once the host acknowledged them.
/// </summary>
/// <remarks>
/// <para>
/// Pacing, as Linux does it: the work runs <see cref="Delay"/> after free memory of a reportable order shows up, and
/// again <see cref="Delay"/> later while some remains; one run (<see cref="RunPass"/>) walks the orders from
/// <see cref="BuddyAllocator.MaxOrder"/> down to <see cref="Order"/>, and on each makes at most
/// ⌈free blocks / (<see cref="Capacity"/> × 16)⌉ reports (a sixteenth of the list, so that no list is held for long:
/// an idle guest gets everything reported in some 30 s). A buffer may carry blocks of several orders. The simulation
/// does not sleep: <see cref="RunUntilIdle"/> counts the runs, and a caller that wants Linux's wall-clock time adds
/// one <see cref="Delay"/> per run.
/// </para>
/// <para>
/// Not modelled: the trigger (Linux starts the work when a block of at least <see cref="Order"/> is freed; here the
/// caller runs it), zones, migrate types, and the watermark below which Linux reports nothing. Not thread-safe: it
/// runs on the thread that owns the allocator, as the driver does.
/// </para>
/// </remarks>
public sealed class PageReporting
{
    /// <summary>Blocks per report at most (Linux <c>PAGE_REPORTING_CAPACITY</c>).</summary>
    public const int Capacity = 32;

    /// <summary>The smallest order reported by default: pageblock order on x86-64, 2 MiB blocks.</summary>
    public const int DefaultOrder = 9;

    /// <summary>Reports per order per run: the free blocks of the order divided by <see cref="Capacity"/> × this.</summary>
    private const int BudgetDivisor = 16;

    private readonly BuddyAllocator _allocator;
    private readonly ReportFreeBlocks _report;
    private readonly FreeBlock[] _batch;
    private readonly ulong[] _isolated;
    private int _filled;

    /// <summary>Reports free blocks of <paramref name="allocator"/> through <paramref name="report"/>.</summary>
    /// <param name="allocator">The guest's allocator.</param>
    /// <param name="report">The driver's report callback.</param>
    /// <param name="order">The smallest order reported (Linux <c>page_reporting_order</c>).</param>
    /// <param name="capacity">Blocks per report, 1..<see cref="Capacity"/> (Linux lowers it to the queue size).</param>
    public PageReporting(BuddyAllocator allocator, ReportFreeBlocks report, int order = DefaultOrder, int capacity = Capacity)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, BuddyAllocator.MaxOrder);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Capacity);
        _allocator = allocator;
        _report = report;
        Order = order;
        _batch = new FreeBlock[capacity];
        _isolated = new ulong[capacity];
    }

    /// <summary>Linux waits this long before each run of the reporting work (<c>PAGE_REPORTING_DELAY</c>, 2 s).</summary>
    public static TimeSpan Delay { get; } = TimeSpan.FromSeconds(2);

    /// <summary>The smallest order reported.</summary>
    public int Order { get; }

    /// <summary>Blocks per report at most.</summary>
    public int BatchCapacity => _batch.Length;

    /// <summary>What was reported so far.</summary>
    public PageReportingCounters Counters { get; } = new();

    /// <summary>Whether a free block of at least <see cref="Order"/> is not reported yet.</summary>
    public bool Pending
    {
        get
        {
            for (var order = BuddyAllocator.MaxOrder; order >= Order; order--)
            {
                if (_allocator.UnreportedBlocks(order) > 0)
                    return true;
            }
            return false;
        }
    }

    /// <summary>
    /// One run of the reporting work: reports unreported blocks, largest order first, within each order's budget.
    /// </summary>
    /// <returns>True if blocks were left for another run (a budget ran out).</returns>
    public bool RunPass()
    {
        Counters.Passes++;
        var more = false;
        for (var order = BuddyAllocator.MaxOrder; order >= Order; order--)
        {
            var budget = (_allocator.FreeBlocks(order) + (_batch.Length * BudgetDivisor) - 1) / (_batch.Length * BudgetDivisor);
            while (_allocator.UnreportedBlocks(order) > 0)
            {
                if (budget == 0)
                {
                    more = true;
                    break;
                }
                Isolate(order);
                if (_filled == _batch.Length)
                {
                    Flush();
                    budget--;
                }
            }
        }
        if (_filled > 0)
            Flush();
        return more;
    }

    /// <summary>Runs the work until no unreported block of at least <see cref="Order"/> is left.</summary>
    /// <returns>The runs it took; Linux would have waited <see cref="Delay"/> before each.</returns>
    public long RunUntilIdle()
    {
        long passes = 0;
        while (Pending)
        {
            RunPass();
            passes++;
        }
        return passes;
    }

    /// <summary>Isolates unreported blocks of <paramref name="order"/> into the free slots of the batch.</summary>
    private void Isolate(int order)
    {
        var start = Stopwatch.GetTimestamp();
        var free = _isolated.AsSpan(0, _batch.Length - _filled);
        var n = _allocator.IsolateUnreported(order, free);
        for (var i = 0; i < n; i++)
            _batch[_filled++] = new FreeBlock(free[i], order);
        Counters.AllocatorTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>Reports the batch and puts its blocks back: reported if the driver returned, unreported if it threw.</summary>
    private void Flush()
    {
        var blocks = _batch.AsSpan(0, _filled);
        var reported = false;
        try
        {
            _report(blocks);
            reported = true;
            Counters.Reports++;
            Counters.Entries += blocks.Length;
            foreach (var block in blocks)
                Counters.Frames += (long)block.Frames;
        }
        finally
        {
            if (!reported)
                Counters.Failed++;
            var start = Stopwatch.GetTimestamp();
            foreach (var block in blocks)
                _allocator.PutBackIsolated(block.Pfn, block.Order, reported);
            Counters.AllocatorTicks += Stopwatch.GetTimestamp() - start;
            _filled = 0;
        }
    }
}
