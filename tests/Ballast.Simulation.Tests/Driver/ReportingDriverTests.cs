using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Virtio;

namespace Ballast.Simulation.Tests.Driver;

/// <summary>The driver's free page reporting: negotiation, the queue it uses, and what the host gets back.</summary>
public class ReportingDriverTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 2)]
    public void Probe_FindsReportingVqAtTheIndexTheFeaturesGive(bool stats, int expected)
    {
        // VIRTIO 1.2 §5.5.2: reporting_vq follows statsq "only if VIRTIO_BALLOON_F_STATS_VQ is set".
        using var h = new BalloonHarness(64 * MiB, device: new BalloonDeviceOptions { PageReporting = true, StatsQueue = stats, MustTellHost = true });

        Assert.True(VirtioFeatures.Has(h.Driver.Features, BalloonFeatures.PageReporting));
        Assert.Equal(stats, VirtioFeatures.Has(h.Driver.Features, BalloonFeatures.StatsVq));
        Assert.Equal(expected, h.Driver.ReportingQueueIndex);
        Assert.Equal(BalloonQueueRole.Reporting, h.Device.RoleOf(expected));
        Assert.NotNull(h.Driver.Reporting);
    }

    [Fact]
    public void Probe_DoesNotAcceptPagePoison_ForAGuestThatDoesNotPoison()
    {
        using var h = new BalloonHarness(64 * MiB, device: new BalloonDeviceOptions { PageReporting = true, PagePoison = true, MustTellHost = true });

        Assert.False(VirtioFeatures.Has(h.Driver.Features, BalloonFeatures.PagePoison));
        Assert.Equal(0u, h.Device.PoisonValue);
        Assert.False(h.Device.ReportsKeptForPoison);
    }

    [Fact]
    public void Probe_WithReportingOff_HasNoReportingQueue()
    {
        using var h = new BalloonHarness(64 * MiB, device: new BalloonDeviceOptions { PageReporting = true, MustTellHost = true },
            driver: new BalloonDriverOptions { PageReporting = false });

        Assert.False(VirtioFeatures.Has(h.Driver.Features, BalloonFeatures.PageReporting));
        Assert.Null(h.Driver.Reporting);
        Assert.Equal(-1, h.Driver.ReportingQueueIndex);
    }

    [Fact]
    public void Report_AFreedRegionComesBackToTheHost_NotBallooned()
    {
        using var h = new BalloonHarness(128 * MiB, device: new BalloonDeviceOptions { PageReporting = true, MustTellHost = true });
        var reporting = h.Driver.Reporting!;
        var workload = h.Guest.StartWorkload(32 * MiB / 4096);
        reporting.RunUntilIdle();
        var hostBefore = h.Guest.HostBytes;
        var reports0 = h.Device.Counters.Reports;

        h.Guest.EndWorkload(workload);
        reporting.RunUntilIdle();

        Assert.Equal((long)(32 * MiB), hostBefore - h.Guest.HostBytes);
        Assert.Equal(0UL, h.Device.BalloonedPages);
        Assert.Equal(0u, h.Device.Actual);
        Assert.Equal(0UL, h.Driver.NumPages);
        Assert.Equal(reporting.Counters.Reports, h.Device.Counters.Reports);
        Assert.True(h.Device.Counters.Reports > reports0);
        Assert.Equal(reporting.Counters.Entries, h.Device.Counters.ReportedEntries);
        Assert.Equal(reporting.Counters.Frames * 4096, h.Device.Counters.ReportedBytes);
        Assert.Equal(0, h.Device.Counters.ReportedReadableEntries);
        Assert.Equal(0, h.Device.Counters.TotalErrors);
        Assert.Equal(0UL, h.Guest.Allocator.IsolatedFrames);
        Assert.Equal("ok", h.Guest.CheckIntegrity(h.Guest.ReportedFrames()).ToString());
    }
}
