using System.Globalization;
using Ballast.AutopilotEval;
using Ballast.Guest.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// Issue #16's evaluation in small, in CI: <see cref="Scenario.Short"/> — two 1 GiB guests for two minutes, each
/// growing hogs, holding, freeing and churning, the second a minute behind the first — with free page reporting and
/// <c>ballast autopilot</c> on both daemons' API sockets (<see cref="AutopilotEvalRunner"/>; every process is started
/// and stopped by pid there, with time-outs). Asserts the invariants: no guest lost a process to the OOM killer, the
/// host really got memory back, the autopilot moved the targets and they did not see-saw
/// (<see cref="TargetOscillation"/>). The full three-way, three-guest, ten-minute run is <c>tools/Ballast.AutopilotEval</c>'s.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class AutopilotEvalTests(GuestFixture fixture, ITestOutputHelper output)
{
    private const double MiB = 1 << 20;

    [Fact]
    public async Task Autopilot_TwoGuestsTwoMinutes_NoOomKill_MemoryReclaimed_TargetsStable()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var scenario = Scenario.Short();
        var runner = new AutopilotEvalRunner(fixture.Environment, output.WriteLine);
        var run = await runner.RunAsync(scenario, EvalWay.Autopilot, timeout.Token);
        var s = run.Summary;
        output.WriteLine(EvalReport.Table([run]));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hogs held at most {s.PeakHogBytes / MiB:0} MiB (both guests), touched {s.HogTouchedBytes / MiB:0} MiB; host got back {s.ReclaimedBytes / MiB:0} MiB"));

        Assert.True(run.Ticks.Count >= scenario.DurationSeconds * 0.9, $"only {run.Ticks.Count} samples in {scenario.DurationSeconds} s");
        Assert.True(s.Chunks >= 20, $"the hogs touched only {s.Chunks} chunks: the scenario did not run");
        Assert.Equal(0, s.OomKills);
        Assert.Equal(0, s.HogKills);
        // Each guest's hogs held up to PeakHogMiB at once; after the last unhog the host must have at least half of
        // every guest's peak back (reporting and the balloon both count: this is the host's own st_blocks).
        Assert.True(s.ReclaimedBytes >= s.PeakHogBytes / 2,
            $"the host got back {s.ReclaimedBytes / MiB:0} MiB, less than half of the {s.PeakHogBytes / MiB:0} MiB the hogs held");
        Assert.True(s.EndHostBytes <= s.PeakHostBytes / 2, $"host memory ended at {s.EndHostBytes / MiB:0} MiB of a {s.PeakHostBytes / MiB:0} MiB peak");
        Assert.Contains(run.TargetChanges, c => c.Reason == "Take");
        Assert.True(s.Oscillations == 0,
            "targets see-sawed: " + string.Join("; ", TargetOscillation.Reversals(run.TargetChanges)));
    }
}
