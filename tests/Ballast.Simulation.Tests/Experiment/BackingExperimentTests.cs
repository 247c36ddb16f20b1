using Ballast.Balloon.Device;
using Ballast.Simulation.Experiment;
using Ballast.Simulation.Guest;
using Ballast.TestKit;

namespace Ballast.Simulation.Tests.Experiment;

/// <summary>
/// The experiment on each backing of guest RAM (issue #14), every mode: the guest's memory keeps its contents, and on
/// huge pages the host really releases what was ballooned — st_blocks of the memfd and /proc/meminfo's huge-page
/// counters agree. Huge-page tests reserve what they need themselves (root; CI runs as root).
/// </summary>
[Collection(HugePageCollection.Name)]
public sealed class BackingExperimentTests
{
    private const long MiB = 1L << 20;
    private const long GuestBytes = 256 * MiB;
    private const long InflateBytes = 192 * MiB;
    private const long HugePage = 2 * MiB;

    public static TheoryData<BenchBacking, ReleaseGranularity, BenchMode, BenchTransport> HugePageRuns()
    {
        var data = new TheoryData<BenchBacking, ReleaseGranularity, BenchMode, BenchTransport>();
        foreach (var mode in BenchModes.All)
        {
            data.Add(BenchBacking.Hugetlb, ReleaseGranularity.HostPage, mode, BenchTransport.InProcess);
            data.Add(BenchBacking.Thp, ReleaseGranularity.HostPage, mode, BenchTransport.InProcess);
            data.Add(BenchBacking.Thp, ReleaseGranularity.Page4K, mode, BenchTransport.InProcess);
        }
        foreach (var mode in new[] { BenchMode.Pfn, BenchMode.Sg })
        {
            data.Add(BenchBacking.Hugetlb, ReleaseGranularity.HostPage, mode, BenchTransport.VhostUser);
            data.Add(BenchBacking.Thp, ReleaseGranularity.HostPage, mode, BenchTransport.VhostUser);
        }
        return data;
    }

    [Theory]
    [InlineData(BenchMode.PfnPerPage)]
    [InlineData(BenchMode.Pfn)]
    [InlineData(BenchMode.Sg)]
    public void Inflate_On4KPages_KeepsIntegrityAndReleasesEverything(BenchMode mode)
    {
        using var rig = ExperimentRig.Create(BenchTransport.InProcess, Setup(BenchBacking.Pages4K, ReleaseGranularity.HostPage, mode));

        var m = BalloonExperiment.Measure(rig.Guest, rig.Device, rig.Driver, InflateBytes / 4096);

        Assert.Equal("ok", m.Integrity);
        Assert.Equal(4096, m.HostPageSize);
        Assert.True(m.HostBytesBefore - m.HostBytesAfter >= InflateBytes * 95 / 100, $"freed {m.HostBytesBefore - m.HostBytesAfter} bytes");
    }

    [HugePageTheory]
    [MemberData(nameof(HugePageRuns))]
    public void Inflate_OnHugePages_KeepsIntegrityAndReleasesTheBalloonedHostPages(
        BenchBacking backing, ReleaseGranularity granularity, BenchMode mode, BenchTransport transport)
    {
        using var host = BackingHost.Reserve(backing, GuestBytes);
        using var rig = ExperimentRig.Create(transport, Setup(backing, granularity, mode));

        var m = BalloonExperiment.Measure(rig.Guest, rig.Device, rig.Driver, InflateBytes / 4096);

        Assert.Equal("ok", m.Integrity);
        Assert.Equal(HugePage, m.HostPageSize);
        // The evidence that the RAM is on huge pages: the host-wide counters moved by (nearly) the whole guest.
        Assert.True(m.HugePageBytesBefore >= GuestBytes * 9 / 10, $"{backing}: only {m.HugePageBytesBefore} bytes of huge pages behind a {GuestBytes}-byte guest");
        var freed = m.HostBytesBefore - m.HostBytesAfter;
        Assert.InRange(freed, 0, InflateBytes);
        if (mode != BenchMode.PfnPerPage)
        {
            Assert.True(freed >= InflateBytes * 95 / 100, $"{backing} {mode}: freed {freed} of {InflateBytes} ballooned bytes");
            if (granularity == ReleaseGranularity.HostPage || backing == BenchBacking.Hugetlb)
            {
                // Whole huge pages went back: the counters agree with st_blocks.
                var hugeFreed = m.HugePageBytesBefore - m.HugePageBytesAfter;
                Assert.True(hugeFreed >= InflateBytes * 95 / 100, $"{backing} {mode}: {hugeFreed} bytes of huge pages freed");
            }
        }
    }

    [HugePageFact]
    public void Inflate_OnACleanHugetlbGuest_FreesNothingItNeverHadAndKeepsIntegrity()
    {
        using var host = BackingHost.Reserve(BenchBacking.Hugetlb, GuestBytes);
        using var rig = ExperimentRig.Create(BenchTransport.InProcess,
            Setup(BenchBacking.Hugetlb, ReleaseGranularity.HostPage, BenchMode.Sg) with { Clean = true });

        var m = BalloonExperiment.Measure(rig.Guest, rig.Device, rig.Driver, InflateBytes / 4096);

        Assert.Equal("ok", m.Integrity);
        Assert.Equal(m.HostBytesBefore, m.HostBytesAfter);
        // Only the guest's kernel part (an eighth of its RAM) was ever written, so only that is in huge pages.
        Assert.InRange(m.HugePageBytesBefore, GuestBytes / 8 - HugePage, GuestBytes / 8 + 2 * HugePage);
        Assert.Equal(m.HugePageBytesBefore, m.HugePageBytesAfter);
    }

    [Fact]
    public void Floor_On4KPages_ReleasesEveryFrameItAllocated()
    {
        using var guest = SimulatedGuest.Create((ulong)GuestBytes);
        var before = guest.HostBytes;

        Assert.True(BalloonExperiment.MeasureFloor(guest, (ulong)InflateBytes / 4096, zeroOnAlloc: false) > 0);

        Assert.Equal(InflateBytes, before - guest.HostBytes);
    }

    [HugePageTheory]
    [InlineData(BenchBacking.Hugetlb)]
    [InlineData(BenchBacking.Thp)]
    public void Floor_OnHugePages_ReleasesTheWholeHostPagesOfWhatItAllocated(BenchBacking backing)
    {
        using var host = BackingHost.Reserve(backing, GuestBytes);
        using var guest = SimulatedGuest.Create((ulong)GuestBytes, backing: BenchBackings.ToMemoryBacking(backing));
        var before = guest.HostBytes;
        var hugeBefore = guest.HugePageBytes;

        Assert.True(BalloonExperiment.MeasureFloor(guest, (ulong)InflateBytes / 4096, zeroOnAlloc: false, wholeHostPages: true) > 0);

        // The frames come from the top of a 4 MiB-aligned free area: whole huge pages, all released, none split.
        var freed = before - guest.HostBytes;
        Assert.Equal(0, freed % HugePage);
        Assert.InRange(freed, InflateBytes - 2 * HugePage, InflateBytes);
        Assert.Equal(freed, hugeBefore - guest.HugePageBytes);
    }

    [HugePageFact]
    public void Engine_OnEveryBacking_ReportsEachWithItsEvidenceAndPutsTheHostBack()
    {
        var host = HugePageHostState.Read();
        var options = new BenchOptions
        {
            GuestMemBytes = 128 * MiB,
            InflateBytes = 96 * MiB,
            Modes = BenchModes.All,
            Backings = [BenchBacking.Pages4K, BenchBacking.Hugetlb, BenchBacking.Thp],
        };

        var report = new BenchEngine().Run(options, progress: null, CancellationToken.None);

        Assert.Equal(host, HugePageHostState.Read());
        Assert.Empty(report.Warnings);
        Assert.Equal(options.Backings, report.Backings.Select(b => b.Backing));
        Assert.Equal([4096L, HugePage, HugePage], report.Backings.Select(b => b.HostPageSize));
        Assert.Equal(["ShmemHugePages", "HugePages_Free", "ShmemHugePages"], report.Backings.Select(b => b.HugePageSource));
        Assert.All(report.Backings, b => Assert.True(b.FloorMs > 0));
        Assert.Equal(report.Backings[0].FloorMs, report.FloorMs);
        Assert.Equal(options.Backings.SelectMany(b => BenchModes.All.Select(m => (b, m))), report.Runs.Select(r => (r.Backing, r.Mode)));
        Assert.All(report.Runs, run => Assert.Equal("ok", run.Integrity));
        Assert.All(report.Runs.Where(run => run.Backing == BenchBacking.Pages4K), run => Assert.True(run.HugePageBytesBefore < 8 * MiB));
    }

    private static ExperimentSetup Setup(BenchBacking backing, ReleaseGranularity granularity, BenchMode mode) => new()
    {
        GuestMemBytes = GuestBytes,
        ScatterGather = mode == BenchMode.Sg,
        Release = mode == BenchMode.PfnPerPage ? ReleasePolicy.PerPage : ReleasePolicy.Coalesce,
        Backing = BenchBackings.ToMemoryBacking(backing),
        Granularity = granularity,
    };
}
