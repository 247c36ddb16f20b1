using static Ballast.Autopilot.Tests.TraceGuest;

namespace Ballast.Autopilot.Tests;

/// <summary>The policy against synthetic statistics traces (<see cref="TraceGuest"/>): band, speed, hysteresis, floor, pressure.</summary>
public sealed class AutopilotPolicyTests
{
    private const long GiB = 1L << 30;
    private static readonly AutopilotSettings s_settings = new();

    [Fact]
    public void IdleGuest_IsTakenGradually_IntoTheBand_ThenHeld()
    {
        var guest = new TraceGuest("a", 2 * GiB) { Used = 300 * MiB };
        var run = new TraceRun(s_settings, guest);
        run.Run(120);

        var step = (long)(s_settings.TakeRateFraction * 2 * GiB * s_settings.IntervalSeconds);
        var decisions = run.Of("a").ToList();
        Assert.All(decisions, d => Assert.True(d.NewTargetBytes - d.OldTargetBytes <= step, $"took more than one step: {d}"));
        Assert.Contains(decisions, d => d.Reason == DecisionReason.Take);
        var last = decisions[^1];
        Assert.Equal(DecisionReason.InBand, last.Reason);
        Assert.InRange(guest.Available, last.LowBytes, last.HighBytes);
        Assert.Equal(0, run.Reversals("a"));
        Assert.Equal(0UL, guest.MajorFaults);
    }

    [Fact]
    public void EveryTarget_IsWholePages_OnAGuestWithRamOfNoRoundSize()
    {
        // The RAM QEMU's microvm reports for a 1 GiB guest (64 KiB less): shares of it are not page multiples, and the
        // daemon refuses a target that is not (PUT /balloon: "target_bytes must be a multiple of 4096").
        var guest = new TraceGuest("a", (1L << 30) - (64 << 10)) { Used = 100 * MiB };
        var run = new TraceRun(s_settings, guest);
        run.Run(60);
        guest.Used += guest.Available - 10 * MiB;
        run.Run(5);
        run.Host = new HostSample(50, 20, 256 * MiB);
        guest.Used = 50 * MiB;
        run.Run(60);

        var changes = run.Of("a").Where(d => d.Changes).ToList();
        Assert.Contains(changes, d => d.Reason == DecisionReason.Take);
        Assert.Contains(changes, d => d.Reason == DecisionReason.GiveBackLow);
        Assert.Contains(changes, d => d.Reason == DecisionReason.TakeUnderPressure);
        Assert.All(changes, d => Assert.True(d.NewTargetBytes % 4096 == 0, $"not whole pages: {d}"));
    }

    [Fact]
    public void Growth_GivesBackAtOnce_ToTheBandsMiddle_ThenCooldownHoldsTaking()
    {
        var guest = new TraceGuest("a", 2 * GiB) { Used = 300 * MiB };
        var run = new TraceRun(s_settings, guest);
        run.Run(120);
        var settled = guest.Target;

        // The programs take all but 50 MiB of what was available: below the band, but nothing pages yet.
        var grew = guest.Available - 50 * MiB;
        guest.Used += grew;
        var d = run.Tick();
        Assert.Equal(DecisionReason.GiveBackLow, d[0].Reason);
        var middle = d[0].LowBytes + (d[0].HighBytes - d[0].LowBytes) / 2;
        Assert.InRange(guest.Available, middle, middle + 4095);   // the target is whole pages, rounded down
        Assert.True(guest.Target < settled);

        // The programs let go again at once: nothing is taken while the peak lies in the take window (nor within
        // the cooldown), then taking resumes.
        guest.Used -= grew;
        var quiet = 0;
        while (run.Tick()[0].Reason != DecisionReason.Take)
        {
            Assert.Contains(run.Ticks[^1][0].Reason, new[] { DecisionReason.InBand, DecisionReason.HoldCooldown });
            quiet++;
        }
        Assert.InRange((quiet + 1) * s_settings.IntervalSeconds, Math.Max(s_settings.TakeWindowSeconds, s_settings.CooldownSeconds),
            Math.Max(s_settings.TakeWindowSeconds, s_settings.CooldownSeconds) + 2 * s_settings.IntervalSeconds);
    }

    [Fact]
    public void MajorFaultBurst_GivesBackTheBurstShare_EvenInTheBand()
    {
        var guest = new TraceGuest("a", 2 * GiB) { Used = 300 * MiB };
        var run = new TraceRun(s_settings, guest);
        run.Run(120);
        var before = guest.Target;

        // Paging without being short of available memory (e.g. a file-backed working set): faults alone count.
        guest.Fault(10_000);
        var d = run.Tick()[0];
        Assert.Equal(DecisionReason.GiveBackBurst, d.Reason);
        Assert.True(d.MajorFaultsPerSecond >= s_settings.MajorFaultBurstPerSecond);
        Assert.True(before - guest.Target >= (long)(s_settings.BurstGiveBackFraction * 2 * GiB));
    }

    [Fact]
    public void OomKill_GivesBackAtOnce()
    {
        var guest = new TraceGuest("a", 2 * GiB) { Used = 300 * MiB };
        var run = new TraceRun(s_settings, guest);
        run.Run(120);
        var before = guest.Target;
        guest.OomKills++;
        Assert.Equal(DecisionReason.GiveBackOomKill, run.Tick()[0].Reason);
        Assert.True(before - guest.Target >= (long)(s_settings.BurstGiveBackFraction * 2 * GiB));
    }

    [Fact]
    public void GuestClaimingAllFree_StopsAtTheFloor_NeverPast()
    {
        // A guest that always says everything outside the balloon is available (the most it can claim).
        var guest = new TraceGuest("a", 2 * GiB) { Used = 0 };
        var run = new TraceRun(s_settings, guest);
        run.Run(300);
        var cap = 2 * GiB - Math.Max(s_settings.FloorMinBytes, (long)(s_settings.FloorFraction * 2 * GiB));
        Assert.All(run.Of("a"), d => Assert.True(d.NewTargetBytes <= cap, d.ToString()));
        Assert.Equal(cap, guest.Target);
    }

    [Fact]
    public void PerGuestFloor_ReplacesTheDefault_AndAnOverlargeTargetIsLowered()
    {
        var guest = new TraceGuest("a", 2 * GiB) { Floor = GiB, Target = 1536 * MiB };
        var run = new TraceRun(s_settings, guest);
        var d = run.Tick()[0];
        Assert.Equal(DecisionReason.ClampToFloor, d.Reason);
        Assert.Equal(GiB, d.NewTargetBytes);
    }

    [Theory]
    [InlineData(3L << 30)]      // more than its RAM
    [InlineData(1792L << 20)]   // more than RAM outside a 1 GiB balloon, beyond the slack
    public void AbsurdAvailable_IsHeld_NotTaken_AndOthersAreUnaffected(long claimed)
    {
        var liar = new TraceGuest("liar", 2 * GiB) { Target = GiB, Lie = _ => (ulong)claimed };
        var honest = new TraceGuest("honest", 2 * GiB) { Used = 300 * MiB };
        var alone = new TraceRun(s_settings, new TraceGuest("honest", 2 * GiB) { Used = 300 * MiB });
        var run = new TraceRun(s_settings, liar, honest);
        run.Run(60);
        alone.Run(60);

        Assert.All(run.Of("liar"), d => Assert.Equal(DecisionReason.HoldAbsurd, d.Reason));
        Assert.Equal(GiB, liar.Target);
        Assert.Equal(alone.Of("honest").Select(d => d.NewTargetBytes), run.Of("honest").Select(d => d.NewTargetBytes));
    }

    [Fact]
    public void GuestClaimingNothingFree_GetsOnlyItsOwnMemoryBack_UnderPressureOthersKeepTheirBand()
    {
        var pessimist = new TraceGuest("pessimist", 2 * GiB) { Target = GiB, Lie = _ => 0 };
        var b = new TraceGuest("b", 2 * GiB) { Used = 300 * MiB };
        var c = new TraceGuest("c", 2 * GiB) { Used = 600 * MiB };
        var run = new TraceRun(s_settings, pessimist, b, c) { Host = new HostSample(40, 10, 256L << 20) };
        run.Run(200);

        Assert.Equal(0, pessimist.Target);
        foreach (var guest in new[] { b, c })
        {
            var last = run.Of(guest.Name).Last();
            Assert.True(guest.Available >= last.LowBytes + (last.HighBytes - last.LowBytes) / 4 - s_settings.MinChangeBytes,
                $"{guest.Name} squeezed below a quarter into its band: available {guest.Available >> 20} MiB, {last}");
            Assert.Equal(0UL, guest.MajorFaults);
        }
    }

    [Fact]
    public void HostPressure_TakesFromTheGuestWithTheMostHeadroomFirst()
    {
        var roomy = new TraceGuest("roomy", 4 * GiB) { Used = 600 * MiB, Target = 2 * GiB };
        var tight = new TraceGuest("tight", 4 * GiB) { Used = 2600 * MiB, Target = 600 * MiB };
        var run = new TraceRun(s_settings, tight, roomy);
        run.Run(1);
        Assert.All(run.Ticks[0], d => Assert.NotEqual(DecisionReason.TakeUnderPressure, d.Reason));

        // Short by 64 MiB: one guest's step covers it; the roomy one gives it.
        run.Host = new HostSample(0, 0, s_settings.HostReserveBytes - (64L << 20));
        var d = run.Tick();
        Assert.Equal(DecisionReason.TakeUnderPressure, d.Single(x => x.Guest == "roomy").Reason);
        Assert.NotEqual(DecisionReason.TakeUnderPressure, d.Single(x => x.Guest == "tight").Reason);
    }

    [Fact]
    public void StaleStatistics_GrowNothing_LostOnes_LetTheBalloonDownGradually()
    {
        var now = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        var policy = new AutopilotPolicy(s_settings);
        var stats = now;
        GuestSample Sample(DateTimeOffset at) => new("a", 2 * GiB, GiB, GiB) { StatsAt = stats, AvailableBytes = 900UL << 20, MajorFaults = 0 };

        Assert.Equal(DecisionReason.Take, policy.Decide(now, new(0, 0, 16 * GiB), [Sample(now)])[0].Reason);
        var stale = now + TimeSpan.FromSeconds(s_settings.IntervalSeconds * (s_settings.StaleIntervals + 1));
        var held = policy.Decide(stale, new(0, 0, 16 * GiB), [Sample(stale)])[0];
        Assert.Equal(DecisionReason.HoldStale, held.Reason);
        Assert.False(held.Changes);

        var lost = now + TimeSpan.FromSeconds(s_settings.IntervalSeconds * (s_settings.LostIntervals + 1));
        var letDown = policy.Decide(lost, new(0, 0, 16 * GiB), [Sample(lost)])[0];
        Assert.Equal(DecisionReason.LetDownLost, letDown.Reason);
        Assert.True(letDown.NewTargetBytes < GiB && letDown.NewTargetBytes > 0, letDown.ToString());
    }

    [Fact]
    public void CountersGoingBackwards_AReboot_GiveNoBurst()
    {
        var now = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        var policy = new AutopilotPolicy(s_settings);
        GuestSample Sample(int tick, ulong faults) =>
            new("a", 2 * GiB, 0, 0) { StatsAt = now.AddSeconds(2 * tick), AvailableBytes = 400UL << 20, MajorFaults = faults, OomKills = faults };
        policy.Decide(now, new(0, 0, 16 * GiB), [Sample(0, 1_000_000)]);
        var d = policy.Decide(now.AddSeconds(2), new(0, 0, 16 * GiB), [Sample(1, 10)])[0];
        Assert.Equal(DecisionReason.InBand, d.Reason);
        Assert.Equal(0, d.MajorFaultsPerSecond);
    }

    [Fact]
    public void SameStatisticsTwice_CountAsNoNewEvents()
    {
        var now = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        var policy = new AutopilotPolicy(s_settings);
        var first = new GuestSample("a", 2 * GiB, 0, 0) { StatsAt = now, AvailableBytes = 400UL << 20, MajorFaults = 0 };
        var burst = first with { StatsAt = now.AddSeconds(2), MajorFaults = 100_000 };
        policy.Decide(now, new(0, 0, 16 * GiB), [first]);
        Assert.Equal(DecisionReason.GiveBackBurst, policy.Decide(now.AddSeconds(2), new(0, 0, 16 * GiB), [burst])[0].Reason);
        Assert.NotEqual(DecisionReason.GiveBackBurst, policy.Decide(now.AddSeconds(4), new(0, 0, 16 * GiB), [burst])[0].Reason);
    }

    [Fact]
    public void ChurningGuest_NoOscillation()
    {
        // Page-cache-like churn: the need moves ±100 MiB every 10 s around 700 MiB for 20 minutes.
        var guest = new TraceGuest("a", 2 * GiB) { Used = 700 * MiB };
        var run = new TraceRun(s_settings, guest);
        for (var tick = 0; tick < 600; tick++)
        {
            guest.Used = (700 + (tick / 5 % 2 == 0 ? 100 : -100)) * MiB;
            run.Tick();
        }
        // Taking is judged on the trough of the last 60 s, which holds both halves of the swing: once settled, nothing moves.
        Assert.True(run.Reversals("a") <= 1, $"{run.Reversals("a")} reversals");
        Assert.Equal(0UL, guest.MajorFaults);
    }

    [Fact]
    public void NoStatistics_Held_ThenLetDownWhenNeverAny()
    {
        var now = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        var policy = new AutopilotPolicy(s_settings);
        var blind = new GuestSample("a", 2 * GiB, GiB, GiB);
        Assert.Equal(DecisionReason.HoldNoStatistics, policy.Decide(now, new(0, 0, 16 * GiB), [blind])[0].Reason);
        var later = now.AddSeconds(s_settings.IntervalSeconds * (s_settings.LostIntervals + 1));
        Assert.Equal(DecisionReason.LetDownLost, policy.Decide(later, new(0, 0, 16 * GiB), [blind])[0].Reason);
    }

    [Fact]
    public void Settings_OutOfRange_Refused()
    {
        Assert.Throws<ArgumentException>(() => new AutopilotPolicy(new AutopilotSettings { FloorFraction = 1.5 }));
        Assert.Throws<ArgumentException>(() => new AutopilotPolicy(new AutopilotSettings { IntervalSeconds = 0 }));
        Assert.Throws<ArgumentException>(() => new AutopilotPolicy(new AutopilotSettings { StaleIntervals = 5, LostIntervals = 2 }));
        Assert.Empty(new AutopilotSettings().Validate());
    }
}
