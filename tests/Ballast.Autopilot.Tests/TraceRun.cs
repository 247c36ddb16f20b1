namespace Ballast.Autopilot.Tests;

/// <summary>Replays guests through a policy, one decision per interval, applying every change; keeps every decision.</summary>
internal sealed class TraceRun
{
    private readonly AutopilotPolicy _policy;
    private DateTimeOffset _now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    public TraceRun(AutopilotSettings? settings = null, params TraceGuest[] guests)
    {
        _policy = new AutopilotPolicy(settings ?? new AutopilotSettings());
        Guests = guests;
    }

    public TraceGuest[] Guests { get; }
    public HostSample Host { get; set; } = new(0, 0, 16L << 30);
    public List<IReadOnlyList<Decision>> Ticks { get; } = [];
    public double Interval => _policy.Settings.IntervalSeconds;

    public IReadOnlyList<Decision> Tick()
    {
        foreach (var guest in Guests)
            guest.Run(Interval);
        _now += TimeSpan.FromSeconds(Interval);
        var decisions = _policy.Decide(_now, Host, Guests.Select(g => g.Sample(_now)).ToList());
        for (var i = 0; i < Guests.Length; i++)
            Guests[i].Target = decisions[i].NewTargetBytes;
        Ticks.Add(decisions);
        return decisions;
    }

    public void Run(int n)
    {
        for (var i = 0; i < n; i++)
            Tick();
    }

    /// <summary>The decisions for <paramref name="guest"/>, in order.</summary>
    public IEnumerable<Decision> Of(string guest) => Ticks.Select(t => t.Single(d => d.Guest == guest));

    /// <summary>Times the target's direction of change flipped (up then down, or down then up).</summary>
    public int Reversals(string guest)
    {
        var signs = Of(guest).Where(d => d.Changes).Select(d => Math.Sign(d.NewTargetBytes - d.OldTargetBytes)).ToList();
        return signs.Zip(signs.Skip(1)).Count(p => p.First != p.Second);
    }
}
