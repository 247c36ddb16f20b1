using Ballast.Daemon.Api;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary><see cref="TargetLog"/> counts a target reached only on an answer to a request sent while it was the current target.</summary>
public sealed class TargetLogTests
{
    private static BalloonState State(ulong target, ulong actual) => new(target, actual, actual, 2UL << 30, ["stats"], Connected: true);

    [Fact]
    public void Observe_ActualEqualsCurrentTarget_CountsItOnce()
    {
        var log = new TargetLog();
        log.Add(4096);
        var ticket = log.Ticket();

        log.Observe(ticket, State(4096, 0));
        Assert.Equal(0, log.Reached);
        log.Observe(ticket, State(4096, 4096));
        log.Observe(log.Ticket(), State(4096, 4096));

        Assert.Equal(1, log.Set);
        Assert.Equal(1, log.Reached);
        Assert.Equal(4096, log.Last);
    }

    [Fact]
    public void Observe_AnswerArrivingAfterTheNextTargetWasSet_DoesNotCount()
    {
        var log = new TargetLog();
        log.Add(8192);
        var stale = log.Ticket();
        log.Add(0);

        log.Observe(stale, State(8192, 8192));

        Assert.Equal(0, log.Reached);
    }

    [Fact]
    public void Observe_BeforeAnyTarget_OrDeviceStillOnTheOldTarget_DoesNotCount()
    {
        var log = new TargetLog();
        var none = log.Ticket();
        log.Add(8192);

        log.Observe(none, State(8192, 8192));
        log.Observe(log.Ticket(), State(4096, 8192));

        Assert.Equal(-1, none);
        Assert.Equal(0, log.Reached);
    }
}
