using Ballast.Linux;
using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Simulation.Tests.Experiment;

/// <summary>What the bench asks of the host for each backing, and the one-line error when the host cannot.</summary>
[Collection(HugePageCollection.Name)]
public sealed class BackingHostTests
{
    private const ulong TiB = 1UL << 40;

    [Fact]
    public void Check_AHugetlbGuestNoHostCanHold_SaysSoInOneLineNamingTheSysctl()
    {
        // As root: more huge pages than MemAvailable could ever give (refused before the pool is touched);
        // as anyone else: fewer free huge pages than the guest needs. Either way vm.nr_hugepages is named.
        var host = UnixMode.IsRoot ? HugePageHostState.Read() : default;

        var error = Assert.Throws<BenchHostException>(() => BackingHost.Check(BenchBacking.Hugetlb, TiB));

        Assert.Contains("vm.nr_hugepages", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(error.Message, Assert.Throws<BenchHostException>(() => BackingHost.Reserve(BenchBacking.Hugetlb, TiB)).Message);
        if (UnixMode.IsRoot)
            Assert.Equal(host, HugePageHostState.Read());
    }

    [Fact]
    public void Check_4KPages_NeedNothing()
    {
        var host = UnixMode.IsRoot ? HugePageHostState.Read() : default;

        BackingHost.Check(BenchBacking.Pages4K, TiB);
        using (var reservation = BackingHost.Reserve(BenchBacking.Pages4K, TiB))
        {
            // As root only the lock, so that the huge-page counters read meanwhile are this process's alone.
            Assert.Equal(UnixMode.IsRoot, reservation is not null);
            if (UnixMode.IsRoot)
                Assert.Equal(host, new HugePageHostState(File.ReadAllText(HugePageReservation.NrHugePagesPath).Trim(), HugePageSettings.ShmemThpMode()));
        }
    }

    [Fact]
    public void HugePagesFor_CoversTheGuestAndASpare() =>
        Assert.Equal(4096 + BackingHost.SpareHugePages, BackingHost.HugePagesFor(8UL << 30));

    [HugePageFact]
    public void Reserve_Hugetlb_MakesTheGuestsPagesFreeAndPutsThePoolBack()
    {
        var before = HugePageHostState.Read();
        using (var host = BackingHost.Reserve(BenchBacking.Hugetlb, 64UL << 20))
        {
            Assert.NotNull(host);
            Assert.True(HugePageSettings.HugetlbFreePages() >= BackingHost.HugePagesFor(64UL << 20));
        }

        Assert.Equal(before, HugePageHostState.Read());
    }

    [HugePageFact]
    public void Reserve_Thp_TurnsShmemThpOnAndBack()
    {
        var before = HugePageHostState.Read();
        using (var host = BackingHost.Reserve(BenchBacking.Thp, 64UL << 20))
        {
            Assert.NotNull(host);
            Assert.True(HugePageSettings.ShmemThpPossible());
        }

        Assert.Equal(before, HugePageHostState.Read());
    }
}
