using Ballast.Balloon.Device;
using Ballast.Virtio;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// VIRTIO 1.2 §5.5.2: "statsq only exists if VIRTIO_BALLOON_F_STATS_VQ is set … reporting_vq only exists if
/// VIRTIO_BALLOON_F_PAGE_REPORTING is set", and the queues that exist are numbered consecutively (Linux 6.1). So the
/// reporting queue's index follows the negotiated features; QueueCount (GET_QUEUE_NUM, num_vqs) is the most in use.
/// </summary>
public sealed class QueueLayoutTests
{
    private static readonly ulong s_stats = VirtioFeatures.Bit(BalloonFeatures.StatsVq);
    private static readonly ulong s_reporting = VirtioFeatures.Bit(BalloonFeatures.PageReporting);

    public static TheoryData<bool, bool, bool, bool> EveryCombination()
    {
        var data = new TheoryData<bool, bool, bool, bool>();
        foreach (var statsOffered in new[] { false, true })
            foreach (var reportingOffered in new[] { false, true })
                foreach (var statsAccepted in new[] { false, true })
                    foreach (var reportingAccepted in new[] { false, true })
                        data.Add(statsOffered, reportingOffered, statsAccepted, reportingAccepted);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCombination))]
    public void QueueRoles_FollowTheNegotiatedFeatures(bool statsOffered, bool reportingOffered, bool statsAccepted, bool reportingAccepted)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { StatsQueue = statsOffered, PageReporting = reportingOffered });
        device.SetDriverFeatures((statsAccepted ? s_stats : 0) | (reportingAccepted ? s_reporting : 0) | VirtioFeatures.Bit(VirtioFeatures.Version1));
        var stats = statsOffered && statsAccepted;
        var reporting = reportingOffered && reportingAccepted;

        List<BalloonQueueRole> expected = [BalloonQueueRole.Inflate, BalloonQueueRole.Deflate];
        if (stats)
            expected.Add(BalloonQueueRole.Stats);
        if (reporting)
            expected.Add(BalloonQueueRole.Reporting);
        while (expected.Count < 4)
            expected.Add(BalloonQueueRole.None);

        Assert.Equal(2 + (statsOffered ? 1 : 0) + (reportingOffered ? 1 : 0), device.QueueCount);
        Assert.Equal(expected, Enumerable.Range(0, 4).Select(device.RoleOf));
        Assert.Equal(stats ? 3 : 2, BalloonQueue.Reporting(device.NegotiatedFeatures));
        Assert.Equal(2 + (stats ? 1 : 0) + (reporting ? 1 : 0), BalloonQueue.Count(device.NegotiatedFeatures));
    }

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 2)]
    public void BeforeTheDriverAcceptsFeatures_AndAfterReset_QueuesAreNumberedByTheOfferedOnes(bool stats, int reportingIndex)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { StatsQueue = stats, PageReporting = true });
        Assert.Equal(BalloonQueueRole.Reporting, device.RoleOf(reportingIndex));

        device.SetDriverFeatures(0);
        Assert.Equal(BalloonQueueRole.None, device.RoleOf(reportingIndex));

        device.Reset();
        Assert.Equal(BalloonQueueRole.Reporting, device.RoleOf(reportingIndex));
        Assert.Equal(device.OfferedFeatures, device.QueueLayoutFeatures);
    }

    [Fact]
    public void FreePageHint_WouldTakeIndex3_SoReportingFollowsIt()
    {
        // Never offered by Ballast, but the numbering is the spec's: free_page_vq comes before reporting_vq.
        var features = s_stats | VirtioFeatures.Bit(BalloonFeatures.FreePageHint) | s_reporting;
        Assert.Equal(4, BalloonQueue.Reporting(features));
        Assert.Equal(5, BalloonQueue.Count(features));
        Assert.Equal(BalloonQueueRole.None, BalloonQueue.RoleOf(3, features));
    }

    [Fact]
    public void FreePageHint_IsNeverOffered()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { PagePoison = true, PageReporting = true, MustTellHost = true });
        Assert.False(VirtioFeatures.Has(device.OfferedFeatures, BalloonFeatures.FreePageHint));
        Assert.True(VirtioFeatures.Has(device.OfferedFeatures, BalloonFeatures.PagePoison));
        Assert.True(VirtioFeatures.Has(device.OfferedFeatures, BalloonFeatures.PageReporting));
    }

    [Theory]
    [InlineData(false, false, 8)]
    [InlineData(true, false, 16)]
    [InlineData(false, true, 16)]
    [InlineData(true, true, 16)]
    public void ConfigSize_Is16WithPagePoisonOrReporting(bool poison, bool reporting, int size)
    {
        var options = new BalloonDeviceOptions { PagePoison = poison, PageReporting = reporting };
        Assert.Equal(size, new BalloonDevice(options).ConfigSize);
        Assert.Equal(size, BalloonDevice.ConfigSizeFor(options));
    }

    [Theory]
    [InlineData(4, true, false)]
    [InlineData(5, false, true)]
    public void SgBit_MayNotBeAnOfferedPoisonOrReportingBit(int bit, bool poison, bool reporting)
    {
        var options = new BalloonDeviceOptions { ScatterGather = true, SgBit = bit, PagePoison = poison, PageReporting = reporting };
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        (options with { PagePoison = false, PageReporting = false }).Validate();
    }

    [Fact]
    public void StatsNotAccepted_ReportingTakesIndex2_AndNoStatisticsAreRequestedThere()
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { PageReporting = true },
            driverFeatures: s_reporting | VirtioFeatures.Bit(VirtioFeatures.Version1));
        Assert.Null(rig.Stats);
        Assert.Equal(BalloonQueue.Stats, rig.ReportingIndex);
        var head = rig.Reporting!.AddChain(DeviceRig.Range(DeviceRig.A, (uint)DeviceRig.Page));

        Assert.True(rig.Process(rig.ReportingIndex));

        Assert.Equal([new(head, 0)], DeviceRig.Used(rig.Reporting));
        Assert.False(rig.Device.RequestStatistics());
        Assert.Equal(0, rig.Counters.StatsUpdates);
        Assert.Equal(1, rig.Counters.Reports);
        rig.AssertReleased((DeviceRig.A, 1));
    }
}
