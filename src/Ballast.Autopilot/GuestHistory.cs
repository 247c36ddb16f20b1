namespace Ballast.Autopilot;

/// <summary>What the policy remembers of one guest between decisions.</summary>
internal sealed class GuestHistory
{
    /// <summary>When the autopilot first saw the guest.</summary>
    public required DateTimeOffset FirstSeen { get; init; }

    /// <summary>The statistics of the previous decision that had new ones (for rates), or null.</summary>
    public GuestSample? PreviousStats { get; set; }

    /// <summary>
    /// Recent readings as (when, available + target): what the guest's programs left free whatever the balloon was,
    /// so any of them can be read at today's target by subtracting it.
    /// </summary>
    public Queue<(DateTimeOffset At, long Unused)> Window { get; } = new();

    /// <summary>When the guest was last given memory back, or null.</summary>
    public DateTimeOffset? LastGiveBack { get; set; }
}
