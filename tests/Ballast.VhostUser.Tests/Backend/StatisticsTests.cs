using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// The stats queue over vhost-user: the guest queues its first buffer before the ring is enabled, so the backend
/// must look at the ring when it starts; and a buffer the device holds survives a ring stop/start.
/// </summary>
public sealed class StatisticsTests
{
    [Fact]
    public void FirstStatsBuffer_QueuedBeforeEnable_IsSeen()
    {
        using var h = new GuestHarness();

        Wait.Until(() => h.Device.Statistics is not null, "the first stats buffer was never processed");
        var updates = h.Device.Counters.StatsUpdates;

        Assert.True(h.Device.RequestStatistics());
        Wait.Until(() => h.Device.Counters.StatsUpdates > updates, "no fresh statistics after a request");
    }

    [Fact]
    public void HeldStatsBuffer_SurvivesMemoryTableChange()
    {
        using var h = new GuestHarness();
        Wait.Until(() => h.Device.Statistics is not null, "no first stats buffer");
        var updates = h.Device.Counters.StatsUpdates;

        // A second SET_MEM_TABLE rebuilds every running ring on the new mapping.
        h.Frontend.SendMemTable();
        Wait.Until(() => h.Device.Counters.StatsUpdates > updates, "the held buffer was not picked up again");

        Assert.True(h.Device.RequestStatistics());
        Assert.Equal(0, h.Device.Counters.TotalErrors);
        Assert.Equal(1024UL, h.Driver.Inflate(1024));
    }
}
