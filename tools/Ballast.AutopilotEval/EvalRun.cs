namespace Ballast.AutopilotEval;

/// <summary>One run of the scenario one way: every sample, chunk and target change, and the summary.</summary>
public sealed record EvalRun(EvalWay Way, Scenario Scenario, IReadOnlyList<EvalTick> Ticks, IReadOnlyList<HogChunk> Chunks,
    IReadOnlyList<TargetChange> TargetChanges, EvalSummary Summary)
{
    /// <summary>The autopilot's log lines, each with its arrival time (seconds since the scenario started); empty without it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<(double Seconds, string Line)> AutopilotLog { get; init; } = [];

    /// <summary>The way's name.</summary>
    public string WayName => EvalWays.Name(Way);
}
