using Ballast.AutopilotEval;

namespace Ballast.GuestLab.Tests;

/// <summary>The evaluation's scenario, its summary's percentile and the parsing of the autopilot's decision lines.</summary>
public sealed class AutopilotEvalScenarioTests
{
    [Fact]
    public void Full_EachGuestShiftedByAThirdOfTheCycle_SizesForTwoGiB_EndsWithUnhog()
    {
        var scenario = Scenario.Full();
        Assert.Equal((320L, 512L), (scenario.GrowMiB, scenario.ChurnMiB));
        for (var guest = 0; guest < 3; guest++)
        {
            var steps = scenario.Steps(guest);
            Assert.Equal(80.0 * guest, steps[0].AtSeconds);
            Assert.Equal("hog 320 16 200", steps[0].Command);
            Assert.Equal(new ScenarioStep(585, "unhog", "end"), steps[^1]);
            Assert.All(steps, s => Assert.InRange(s.AtSeconds, 0, scenario.EndSeconds));
            Assert.Equal(steps.OrderBy(s => s.AtSeconds), steps);
            Assert.Contains(steps, s => s.Phase == "churn");
        }
    }

    [Fact]
    public void Short_HalvesTheCycle_ScalesSizesToOneGiB()
    {
        var scenario = Scenario.Short();
        Assert.Equal((160L, 256L, 480L), (scenario.GrowMiB, scenario.ChurnMiB, scenario.PeakHogMiB));
        Assert.Equal([0, 7.5, 15, 45], scenario.Steps(0).Take(4).Select(s => s.AtSeconds));
        Assert.Equal(60, scenario.Steps(1)[0].AtSeconds);
    }

    [Fact]
    public void Percentile_IsNearestRank()
    {
        var values = Enumerable.Range(1, 200).Select(i => (double)i).ToList();
        Assert.Equal(198, EvalSummary.Percentile(values, 99));
        Assert.Equal(100, EvalSummary.Percentile(values, 50));
        Assert.Equal(0, EvalSummary.Percentile([], 99));
    }

    [Fact]
    public void ParseDecisions_ReadsAppliedChangesOfKnownGuests()
    {
        const string Applied = "2026-12-06T17:18:57.716Z info: Ballast.Autopilot.AutopilotRunner[600] decision guest=/run/a.api reason=Take "
            + "target_bytes=0->42946560 available_bytes=1027080192 band_bytes=134217728-268435456 max_target_bytes=805240832 majflt_per_s=0 "
            + "swapin_bytes_per_s=0 applied=True";
        var changes = AutopilotEvalRunner.ParseDecisions(
            [(1.5, Applied), (2, Applied.Replace("applied=True", "applied=False", StringComparison.Ordinal)),
             (3, Applied.Replace("/run/a.api", "/run/x.api", StringComparison.Ordinal)), (4, "guest found: /run/b.api")],
            ["/run/b.api", "/run/a.api"]);
        Assert.Equal(new TargetChange(1.5, 1, "Take", 0, 42946560), Assert.Single(changes));
    }
}
