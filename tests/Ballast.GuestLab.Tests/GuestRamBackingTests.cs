using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.GuestLab.Tests;

/// <summary>The guest RAM backings: names, what the daemon needs, the huge pages to reserve, the backing check, the counters.</summary>
public sealed class GuestRamBackingTests
{
    [Fact]
    public void Names_AndCommandLineValues()
    {
        Assert.Equal(["4k", "thp", "hugetlb"], GuestRamBackings.All.Select(GuestRamBackings.Name));
        Assert.Equal(["4k", "thp", "hugetlb", "all"], GuestRamBackings.CommandLineValues);
        Assert.Equal(Enum.GetValues<MemoryBacking>().Order(), GuestRamBackings.All.Order());
        Assert.Equal(GuestRamBackings.All, GuestRamBackings.Select("all"));
        Assert.Equal([MemoryBacking.Hugetlb], GuestRamBackings.Select("hugetlb"));
        Assert.Throws<ArgumentException>(() => GuestRamBackings.Select("2m"));
    }

    [Fact]
    public void OnlyThp_NeedsUnsealedMemory()
    {
        Assert.Equal(["--allow-unsealed-memory"], GuestRamBackings.DaemonArguments(MemoryBacking.Thp));
        Assert.Empty(GuestRamBackings.DaemonArguments(MemoryBacking.Hugetlb));
        Assert.Empty(GuestRamBackings.DaemonArguments(MemoryBacking.Pages4K));
    }

    [Fact]
    public void HugetlbPages_AreTheWholeGuestPlusTheMargin()
    {
        Assert.Equal(1024 + GuestRam.HugetlbMarginPages, GuestRamBackings.HugetlbPagesFor(2L << 30));
        Assert.Equal(2, GuestRamBackings.HugetlbPagesFor((2L << 20) + 4096, marginPages: 0));
    }

    [Theory]
    [InlineData(MemoryBacking.Hugetlb, true, false, 2UL << 20, true)]
    [InlineData(MemoryBacking.Hugetlb, false, true, 2UL << 20, false)]
    [InlineData(MemoryBacking.Hugetlb, true, false, 1UL << 30, false)]
    [InlineData(MemoryBacking.Thp, false, true, 2UL << 20, true)]
    [InlineData(MemoryBacking.Thp, false, true, 4096, false)]
    [InlineData(MemoryBacking.Pages4K, false, true, 4096, true)]
    [InlineData(MemoryBacking.Pages4K, true, false, 2UL << 20, false)]
    public void Mismatch_SaysWhenTheFileIsNotWhatWasAsked(MemoryBacking backing, bool hugetlb, bool shmem, ulong blockSize, bool matches)
    {
        var why = GuestRamBackings.Mismatch(backing, new FileHostPages(hugetlb, shmem, blockSize));

        Assert.Equal(matches, why is null);
        if (why is not null)
            Assert.Contains(GuestRamBackings.Name(backing), why, StringComparison.Ordinal);
    }

    [Fact]
    public void Counters_ParseMeminfoAndSmapsRollup()
    {
        const string Meminfo = "MemTotal:       24684000 kB\nShmemHugePages:   118784 kB\nShmemPmdMapped:   118784 kB\nHugePages_Total:    1040\nHugePages_Free:      270\n";
        const string Smaps = "Rss:             71144 kB\nShmemPmdMapped:     4096 kB\nFilePmdMapped:         0 kB\nShared_Hugetlb:     2048 kB\nPrivate_Hugetlb: 1699840 kB\n";

        var counters = HostPageCounters.Parse(Meminfo, Smaps);

        Assert.Equal(new HostPageCounters(270, 118784L * 1024, (2048L + 1699840) * 1024, 4096L * 1024, 0), counters);
        Assert.Equal(new HostPageCounters(0, 0, 0, 0, 0), HostPageCounters.Parse("", ""));
    }
}
