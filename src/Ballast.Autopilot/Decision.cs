namespace Ballast.Autopilot;

/// <summary>One guest's decision: its target before and after, why, and the band it was judged against.</summary>
/// <param name="Guest">The guest's name.</param>
/// <param name="Reason">Why.</param>
/// <param name="OldTargetBytes">The target before.</param>
/// <param name="NewTargetBytes">The target to set (equal to <paramref name="OldTargetBytes"/> when nothing changes).</param>
/// <param name="AvailableBytes">The guest's available memory as judged (null without usable statistics).</param>
/// <param name="LowBytes">The band's low edge.</param>
/// <param name="HighBytes">The band's high edge.</param>
/// <param name="MaxTargetBytes">The largest target the floor allows.</param>
public sealed record Decision(string Guest, DecisionReason Reason, long OldTargetBytes, long NewTargetBytes, long? AvailableBytes,
    long LowBytes, long HighBytes, long MaxTargetBytes)
{
    /// <summary>Whether the target changes.</summary>
    public bool Changes => NewTargetBytes != OldTargetBytes;

    /// <summary>Major faults per second since the previous statistics (0 when unknown).</summary>
    public double MajorFaultsPerSecond { get; init; }

    /// <summary>Swap-in bytes per second since the previous statistics (0 when unknown).</summary>
    public double SwapInBytesPerSecond { get; init; }
}
