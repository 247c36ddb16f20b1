using Ballast.Balloon.Device;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// The frames of one drain waiting for release: contiguous frames merge, the rest are sorted and merged when
/// drained, and a fragmented batch does not leave its large arrays behind for the life of the device.
/// </summary>
public sealed class PendingRunsTests
{
    [Fact]
    public void Drain_MergesAdjacentAndSortsTheRest()
    {
        var runs = new PendingRuns();
        runs.Add(10, 2);
        runs.Add(12, 3);
        runs.Add(1, 1);
        runs.Add(2, 8);
        runs.Add(100, 1);

        Assert.Equal([(1UL, 14UL), (100UL, 1UL)], runs.Drain());
        Assert.Empty(runs.Drain());
    }

    [Fact]
    public void Drain_AfterAFragmentedBatch_GivesTheMemoryBack()
    {
        var runs = new PendingRuns();
        var initial = runs.MemoryBytes;
        // Every other frame of 2^20: half a million runs, as a guest that inflates a scattered page set sends them.
        for (ulong pfn = 0; pfn < 1 << 20; pfn += 2)
            runs.Add(pfn, 1);
        Assert.True(runs.MemoryBytes > 100 * initial);

        Assert.Equal(1 << 19, runs.Drain().Count);
        Assert.Empty(runs.Drain());   // the next drain finds the arrays back at their first size

        Assert.Equal(initial, runs.MemoryBytes);
    }
}
