using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Guest;

/// <summary>The guest's reporting work: what it reports, in what batches, and how it paces itself.</summary>
public class PageReportingTests
{
    [Fact]
    public void RunUntilIdle_ReportsEveryBlockOnce_AtMost32PerReport()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(100 * BuddyAllocator.MaxOrderFrames));
        var reports = new List<FreeBlock[]>();
        var reporting = new PageReporting(allocator, blocks => reports.Add(blocks.ToArray()));

        var passes = reporting.RunUntilIdle();

        // ⌈100 / (32 × 16)⌉ = 1 report per run of the work.
        Assert.Equal(4, passes);
        Assert.Equal([32, 32, 32, 4], reports.Select(r => r.Length));
        var reported = reports.SelectMany(r => r).ToList();
        Assert.Equal(100, reported.Distinct().Count());
        Assert.All(reported, block => Assert.Equal(BuddyAllocator.MaxOrder, block.Order));
        Assert.Equal(allocator.TotalFrames, allocator.ReportedFrames);
        Assert.Equal(allocator.TotalFrames, allocator.FreeFrames);
        Assert.Equal(4, reporting.Counters.Reports);
        Assert.Equal(100, reporting.Counters.Entries);
        allocator.Validate();

        Assert.Equal(0, reporting.RunUntilIdle());
        Assert.Equal(4, reports.Count);
    }

    [Fact]
    public void RunPass_MakesAtMostASixteenthOfTheListInReports()
    {
        // 1,100 free 4 MiB blocks: each run may make ⌈1100 / (32 × 16)⌉ = 3 reports, 96 blocks; so 12 runs.
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1100 * BuddyAllocator.MaxOrderFrames));
        var entries = new List<int>();
        var reporting = new PageReporting(allocator, blocks => entries.Add(blocks.Length));

        Assert.True(reporting.RunPass());
        Assert.Equal([32, 32, 32], entries);

        var passes = 1 + reporting.RunUntilIdle();
        Assert.Equal(12, passes);
        Assert.Equal(12, reporting.Counters.Passes);
        Assert.Equal(allocator.TotalFrames, allocator.ReportedFrames);
    }

    [Fact]
    public void RunPass_ReportsNothingBelowItsOrder_AndMixesOrdersInOneReport()
    {
        // Frames 0..1791: a 4 MiB block, a 2 MiB block and a 1 MiB block.
        var allocator = new BuddyAllocator(GuestLayouts.Flat(1024 + 512 + 256));
        var reports = new List<FreeBlock[]>();
        var reporting = new PageReporting(allocator, blocks => reports.Add(blocks.ToArray()));

        reporting.RunUntilIdle();

        var report = Assert.Single(reports);
        Assert.Equal([new FreeBlock(0, 10), new FreeBlock(1024, 9)], report);
        Assert.Equal(1, allocator.UnreportedBlocks(8));
        Assert.False(allocator.IsReported(1536));
    }

    [Fact]
    public void Block_AllocatedAndFreedAgain_IsReportedAgain()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(4 * BuddyAllocator.MaxOrderFrames));
        var reported = new List<FreeBlock>();
        var reporting = new PageReporting(allocator, blocks => reported.AddRange(blocks));
        reporting.RunUntilIdle();
        reported.Clear();

        Assert.True(allocator.TryAlloc(0, out var pfn));
        Assert.True(reporting.Pending);
        allocator.Free(pfn, 0);
        reporting.RunUntilIdle();

        // The split halves were unreported; freed, the page merges them back into one unreported 4 MiB block.
        Assert.Equal([new FreeBlock(pfn & ~(BuddyAllocator.MaxOrderFrames - 1), BuddyAllocator.MaxOrder)], reported);
        Assert.False(reporting.Pending);
    }

    [Fact]
    public void Report_ThatThrows_PutsTheBlocksBackUnreported()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(2 * BuddyAllocator.MaxOrderFrames));
        var reporting = new PageReporting(allocator, _ => throw new TimeoutException("no answer"));

        Assert.Throws<TimeoutException>(() => reporting.RunPass());

        Assert.Equal(1, reporting.Counters.Failed);
        Assert.Equal(0, reporting.Counters.Reports);
        Assert.Equal(0UL, allocator.IsolatedFrames);
        Assert.Equal(2, allocator.UnreportedBlocks(BuddyAllocator.MaxOrder));
        Assert.True(reporting.Pending);
        allocator.Validate();
    }

    [Fact]
    public void Blocks_AreIsolatedWhileTheReportIsInFlight()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(2 * BuddyAllocator.MaxOrderFrames));
        ulong isolated = 0, free = 0;
        var reporting = new PageReporting(allocator, _ =>
        {
            isolated = allocator.IsolatedFrames;
            free = allocator.FreeFrames;
        });

        reporting.RunPass();

        Assert.Equal(allocator.TotalFrames, isolated);
        Assert.Equal(0UL, free);
        Assert.Equal(allocator.TotalFrames, allocator.FreeFrames);
    }

    [Fact]
    public void Capacity_LimitsTheBlocksPerReport()
    {
        var allocator = new BuddyAllocator(GuestLayouts.Flat(5 * BuddyAllocator.MaxOrderFrames));
        var entries = new List<int>();
        var reporting = new PageReporting(allocator, blocks => entries.Add(blocks.Length), capacity: 2);

        reporting.RunUntilIdle();

        Assert.Equal(2, reporting.BatchCapacity);
        Assert.Equal([2, 2, 1], entries);
    }
}
