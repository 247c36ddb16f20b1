namespace Ballast.Autopilot;

/// <summary>
/// The autopilot's parameters. Each guest's <em>available</em> memory (Linux MemAvailable, VIRTIO_BALLOON_S_AVAIL) is
/// kept in a band (<see cref="Decision.LowBytes"/>–<see cref="Decision.HighBytes"/>): below it the guest gets memory back at once; above it the
/// autopilot takes the excess, a step at a time. Fractions are of the guest's RAM.
/// </summary>
public sealed record AutopilotSettings
{
    /// <summary>Seconds between two decisions (and between two statistics requests to each guest).</summary>
    public double IntervalSeconds { get; init; } = 2;

    /// <summary>Low edge of the band as a share of guest RAM (at least <see cref="LowMinBytes"/>).</summary>
    public double LowFraction { get; init; } = 0.10;

    /// <summary>The low edge never lies below this.</summary>
    public long LowMinBytes { get; init; } = 128L << 20;

    /// <summary>Width of the band as a share of guest RAM (at least <see cref="BandMinBytes"/>).</summary>
    public double BandFraction { get; init; } = 0.10;

    /// <summary>The band is never narrower than this.</summary>
    public long BandMinBytes { get; init; } = 128L << 20;

    /// <summary>The guest always keeps at least this share of its RAM (at least <see cref="FloorMinBytes"/>): the balloon never grows past RAM − floor.</summary>
    public double FloorFraction { get; init; } = 0.25;

    /// <summary>The floor never lies below this.</summary>
    public long FloorMinBytes { get; init; } = 256L << 20;

    /// <summary>Largest inflate per second, as a share of guest RAM: memory is taken gradually.</summary>
    public double TakeRateFraction { get; init; } = 0.02;

    /// <summary>Largest inflate per second under host pressure (faster, still a step at a time).</summary>
    public double PressureTakeRateFraction { get; init; } = 0.05;

    /// <summary>No inflate for this long after the guest was given memory back (hysteresis: no see-saw).</summary>
    public double CooldownSeconds { get; init; } = 30;

    /// <summary>
    /// Taking looks back this far: what is taken is judged on the lowest available memory of the window (each reading
    /// moved to today's target), so a guest whose need swings within the window is not taken from at the top of a
    /// swing and given back at its bottom.
    /// </summary>
    public double TakeWindowSeconds { get; init; } = 60;

    /// <summary>Changes smaller than this are not made (a dead band against jitter).</summary>
    public long MinChangeBytes { get; init; } = 16L << 20;

    /// <summary>Major faults per second that count as a burst: the guest is paging and gets memory back.</summary>
    public double MajorFaultBurstPerSecond { get; init; } = 200;

    /// <summary>Swap-in bytes per second that count as a burst.</summary>
    public double SwapInBurstBytesPerSecond { get; init; } = 4 << 20;

    /// <summary>What a burst or an OOM kill gives back at least, as a share of guest RAM.</summary>
    public double BurstGiveBackFraction { get; init; } = 0.10;

    /// <summary>Statistics older than this many intervals are stale: the guest's balloon is not grown on them.</summary>
    public double StaleIntervals { get; init; } = 3;

    /// <summary>After this many intervals without fresh statistics an inflated balloon is let down gradually.</summary>
    public double LostIntervals { get; init; } = 15;

    /// <summary>Host pressure: memory PSI "some" avg10 at or above this percentage.</summary>
    public double HostPsiSomeAvg10 { get; init; } = 10;

    /// <summary>Host pressure: MemAvailable at or below this many bytes.</summary>
    public long HostReserveBytes { get; init; } = 1L << 30;

    /// <summary>Only log decisions; set no target.</summary>
    public bool DryRun { get; init; }

    /// <summary>What is wrong with these settings, one message each; empty when they can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Fraction(string name, double value, double max = 1)
        {
            if (!(value >= 0 && value <= max))
                errors.Add($"{name} must lie in 0-{max} (got {value})");
        }
        if (!(IntervalSeconds >= 0.1 && IntervalSeconds <= 3600))
            errors.Add($"interval must lie in 0.1-3600 s (got {IntervalSeconds})");
        Fraction("low fraction", LowFraction, 0.9);
        Fraction("band fraction", BandFraction, 0.9);
        Fraction("floor fraction", FloorFraction);
        Fraction("take rate", TakeRateFraction);
        Fraction("pressure take rate", PressureTakeRateFraction);
        Fraction("burst give-back", BurstGiveBackFraction);
        if (LowMinBytes < 0 || BandMinBytes < 0 || FloorMinBytes < 0 || MinChangeBytes < 0 || HostReserveBytes < 0)
            errors.Add("byte sizes must not be negative");
        if (TakeWindowSeconds < 0 || CooldownSeconds < 0 || MajorFaultBurstPerSecond < 0 || SwapInBurstBytesPerSecond < 0 || HostPsiSomeAvg10 < 0)
            errors.Add("take window, cooldown, burst thresholds and the PSI threshold must not be negative");
        if (!(StaleIntervals >= 1 && LostIntervals >= StaleIntervals))
            errors.Add("stale must be at least 1 interval and lost at least stale");
        return errors;
    }
}
