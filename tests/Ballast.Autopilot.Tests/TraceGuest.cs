namespace Ballast.Autopilot.Tests;

/// <summary>
/// A guest for policy traces: its programs need <see cref="Used"/> bytes, the balloon follows the target at once, and
/// available memory is what is left (RAM − balloon − used, never negative). While available memory is short of what
/// the programs need, the guest pages: major faults at a rate proportional to the shortfall.
/// </summary>
internal sealed class TraceGuest(string name, long ram)
{
    public const long MiB = 1L << 20;

    public string Name { get; } = name;
    public long Ram { get; } = ram;
    public long Used { get; set; }
    public long Target { get; set; }
    public ulong MajorFaults { get; private set; }
    public ulong OomKills { get; set; }
    public long? Floor { get; init; }

    /// <summary>Overrides what the guest reports as available (a lying or broken guest); null = the truth.</summary>
    public Func<long, ulong>? Lie { get; set; }

    public long Available => Math.Max(0, Ram - Target - Used);

    /// <summary>Adds <paramref name="count"/> major faults (paging that available memory does not show).</summary>
    public void Fault(ulong count) => MajorFaults += count;

    /// <summary>Advances <paramref name="seconds"/>: faults while short of memory.</summary>
    public void Run(double seconds)
    {
        var shortfall = Used - (Ram - Target);
        if (shortfall > 0)
            MajorFaults += (ulong)(seconds * 1000 * shortfall / (64 * MiB));
    }

    public GuestSample Sample(DateTimeOffset now) => new(Name, Ram, Target, Target)
    {
        StatsAt = now,
        AvailableBytes = Lie?.Invoke(Available) ?? (ulong)Available,
        MajorFaults = MajorFaults,
        SwapInBytes = 0,
        OomKills = OomKills,
        FloorBytes = Floor,
    };
}
