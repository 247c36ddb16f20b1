namespace Ballast.AutopilotEval;

/// <summary>
/// Target oscillation, the evaluation's measure of see-saw: per guest, a target change whose direction is the opposite
/// of the guest's previous change, made less than <see cref="WindowSeconds"/> after it, and <em>not</em> caused by a
/// give-back trigger (<see cref="TargetChange.IsGiveBack"/>). A give-back answers a need the guest showed (its available
/// memory fell below the band, it paged, or it lost a process to the OOM killer), so a take followed by a give-back is
/// the policy doing its job; a give-back followed within a minute by a take, or a take or let-down reversed within a
/// minute without a trigger, is the balloon swinging.
/// </summary>
public static class TargetOscillation
{
    /// <summary>The window: a reversal later than this is a new situation, not a swing.</summary>
    public const double WindowSeconds = 60;

    /// <summary>The reversals in <paramref name="changes"/> that count as oscillation, in time order.</summary>
    public static IReadOnlyList<TargetChange> Reversals(IEnumerable<TargetChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var found = new List<TargetChange>();
        foreach (var guest in changes.Where(c => c.Direction != 0).GroupBy(c => c.Guest))
        {
            TargetChange? previous = null;
            foreach (var change in guest.OrderBy(c => c.Seconds))
            {
                if (previous is not null && change.Direction != previous.Direction && !change.IsGiveBack
                    && change.Seconds - previous.Seconds < WindowSeconds)
                    found.Add(change);
                previous = change;
            }
        }
        return [.. found.OrderBy(c => c.Seconds)];
    }
}
