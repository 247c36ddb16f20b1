namespace Ballast.AutopilotEval;

/// <summary>One target change the autopilot made (its <c>decision … target_bytes=A->B</c> log line).</summary>
/// <param name="Seconds">When the line arrived, seconds since the scenario started.</param>
/// <param name="Guest">The guest (0-based).</param>
/// <param name="Reason">The decision's reason (<c>GiveBackLow</c>, <c>Take</c>, …).</param>
/// <param name="OldTargetBytes">The target before.</param>
/// <param name="NewTargetBytes">The target after.</param>
public sealed record TargetChange(double Seconds, int Guest, string Reason, long OldTargetBytes, long NewTargetBytes)
{
    /// <summary>+1 for a growing balloon (memory taken), −1 for a shrinking one (memory given back), 0 for none.</summary>
    public int Direction => Math.Sign(NewTargetBytes - OldTargetBytes);

    /// <summary>Whether a give-back trigger caused it (low available memory, a fault/swap burst, an OOM kill).</summary>
    public bool IsGiveBack => Reason.StartsWith("GiveBack", StringComparison.Ordinal);
}
