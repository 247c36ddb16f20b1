namespace Ballast.Autopilot;

/// <summary>Why the autopilot set (or kept) a guest's target; its name is the <c>reason</c> of the decision's log line.</summary>
public enum DecisionReason
{
    /// <summary>Available memory lies in the band: nothing to do.</summary>
    InBand,

    /// <summary>Available memory fell below the band: the guest gets enough back at once to reach the band's middle.</summary>
    GiveBackLow,

    /// <summary>A burst of major faults or swap-ins: the guest is paging; it gets at least the burst share back at once.</summary>
    GiveBackBurst,

    /// <summary>The guest reported a new OOM kill: as a burst.</summary>
    GiveBackOomKill,

    /// <summary>Available memory above the band: the excess is taken, one rate-limited step per decision.</summary>
    Take,

    /// <summary>The host is under pressure: taken faster, from the guests with the most headroom first.</summary>
    TakeUnderPressure,

    /// <summary>Above the band, but the guest was given memory back recently (hysteresis).</summary>
    HoldCooldown,

    /// <summary>The statistics are older than the stale limit: nothing is taken on them.</summary>
    HoldStale,

    /// <summary>The statistics cannot be true (more available than RAM, or than RAM outside the balloon): ignored.</summary>
    HoldAbsurd,

    /// <summary>No statistics yet (the guest's driver may not offer them).</summary>
    HoldNoStatistics,

    /// <summary>No fresh statistics for the lost limit while the balloon is inflated: it is let down a step at a time.</summary>
    LetDownLost,

    /// <summary>The target was above what the floor allows: lowered to it.</summary>
    ClampToFloor,
}
