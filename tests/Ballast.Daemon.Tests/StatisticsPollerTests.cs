using Ballast.Balloon.Device;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests;

/// <summary>The statistics timer, with a clock the test turns by hand and a real stats queue.</summary>
public class StatisticsPollerTests
{
    [Fact]
    public void Zero_LeavesTheTimerOff()
    {
        var clock = new ManualTimeProvider();
        using var poller = new StatisticsPoller(new BalloonDevice(new BalloonDeviceOptions()), 0, timeProvider: clock);

        Assert.Equal(Timeout.InfiniteTimeSpan, clock.Timer.Period);
        Assert.Equal(0, poller.IntervalSeconds);
    }

    [Fact]
    public void Tick_ReturnsTheHeldBufferSoTheGuestSendsFreshStatistics()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        using var guest = new StatsQueueRig(device);
        guest.Send((StatTag.FreeMemory, 1));
        var clock = new ManualTimeProvider();
        using var poller = new StatisticsPoller(device, 5, timeProvider: clock);
        Assert.Equal(TimeSpan.FromSeconds(5), clock.Timer.Period);
        Assert.False(guest.TakeReturned());

        clock.Timer.Fire();

        Assert.True(guest.TakeReturned());
        Assert.Equal(1, poller.Requests);
        // Nothing held any more until the guest answers: the next tick asks nobody.
        clock.Timer.Fire();
        Assert.False(guest.TakeReturned());
        Assert.Equal(1, poller.Requests);
    }

    [Fact]
    public void SetInterval_Reschedules()
    {
        var clock = new ManualTimeProvider();
        using var poller = new StatisticsPoller(new BalloonDevice(new BalloonDeviceOptions()), 10, timeProvider: clock);

        poller.SetInterval(2);
        Assert.Equal(TimeSpan.FromSeconds(2), clock.Timer.DueTime);
        Assert.Equal(TimeSpan.FromSeconds(2), clock.Timer.Period);
        poller.SetInterval(0);
        Assert.Equal(Timeout.InfiniteTimeSpan, clock.Timer.DueTime);
        Assert.Equal(0, poller.IntervalSeconds);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(StatisticsPoller.MaxIntervalSeconds + 1)]
    public void SetInterval_OutOfRange_Throws(int seconds)
    {
        using var poller = new StatisticsPoller(new BalloonDevice(new BalloonDeviceOptions()), 0, timeProvider: new ManualTimeProvider());

        Assert.Throws<ArgumentOutOfRangeException>(() => poller.SetInterval(seconds));
    }

    [Fact]
    public void Tick_WithoutGuest_DoesNothing()
    {
        var clock = new ManualTimeProvider();
        using var poller = new StatisticsPoller(new BalloonDevice(new BalloonDeviceOptions()), 1, timeProvider: clock);

        clock.Timer.Fire();

        Assert.Equal(0, poller.Requests);
    }

    /// <summary>A clock whose only timer fires when the test says so.</summary>
    private sealed class ManualTimeProvider : TimeProvider
    {
        public ManualTimer Timer { get; private set; } = null!;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Timer = new ManualTimer(() => callback(state)) { DueTime = dueTime, Period = period };
            return Timer;
        }
    }

    private sealed class ManualTimer(Action fire) : ITimer
    {
        public TimeSpan DueTime { get; set; }

        public TimeSpan Period { get; set; }

        public void Fire() => fire();

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            Period = period;
            return true;
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
