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
        var pool = File.ReadAllText(HugePageReservation.NrHugePagesPath);

        var error = Assert.Throws<BenchHostException>(() => BackingHost.Check(BenchBacking.Hugetlb, TiB));

        Assert.Contains("vm.nr_hugepages", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(error.Message, Assert.Throws<BenchHostException>(() => BackingHost.Reserve(BenchBacking.Hugetlb, TiB)).Message);
        Assert.Equal(pool, File.ReadAllText(HugePageReservation.NrHugePagesPath));
    }

    [Fact]
    public void Check_4KPages_NeedNothing()
    {
        BackingHost.Check(BenchBacking.Pages4K, TiB);
        Assert.Null(BackingHost.Reserve(BenchBacking.Pages4K, TiB));
    }

    [Fact]
    public void HugePagesFor_CoversTheGuestAndASpare() =>
        Assert.Equal(4096 + BackingHost.SpareHugePages, BackingHost.HugePagesFor(8UL << 30));

    [HugePageFact]
    public void Reserve_Hugetlb_MakesTheGuestsPagesFreeAndPutsThePoolBack()
    {
        var before = File.ReadAllText(HugePageReservation.NrHugePagesPath).Trim();
        using (var host = BackingHost.Reserve(BenchBacking.Hugetlb, 64UL << 20))
        {
            Assert.NotNull(host);
            Assert.True(HugePageSettings.HugetlbFreePages() >= BackingHost.HugePagesFor(64UL << 20));
        }

        Assert.Equal(before, File.ReadAllText(HugePageReservation.NrHugePagesPath).Trim());
    }

    [HugePageFact]
    public void Reserve_Thp_TurnsShmemThpOnAndBack()
    {
        var before = HugePageSettings.ShmemThpMode();
        using (var host = BackingHost.Reserve(BenchBacking.Thp, 64UL << 20))
        {
            Assert.NotNull(host);
            Assert.True(HugePageSettings.ShmemThpPossible());
        }

        Assert.Equal(before, HugePageSettings.ShmemThpMode());
    }
}
