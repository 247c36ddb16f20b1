namespace Ballast.Autopilot;

/// <summary>
/// Balloon targets for many guests, one decision per guest per interval, from each guest's own statistics and the
/// host's memory pressure. Pure: no I/O, the clock comes in with the samples, so recorded traces replay exactly.
/// </summary>
/// <remarks>
/// <para>The band: <c>low = max(LowMinBytes, LowFraction × RAM)</c>, <c>high = low + max(BandMinBytes, BandFraction × RAM)</c>,
/// judged on the guest's available memory (MemAvailable: free memory plus what the kernel can reclaim without
/// swapping). Giving back is immediate and aims at the band's middle; taking is rate-limited (a share of RAM per
/// second), aims at the middle too, and is judged on the lowest available memory of the last
/// <see cref="AutopilotSettings.TakeWindowSeconds"/> (each reading moved to today's target), so one decision never
/// carries a guest from one edge past the other and a need that swings is served at its peak.</para>
/// <para>Hysteresis: no taking within <see cref="AutopilotSettings.CooldownSeconds"/> of a give-back, changes below
/// <see cref="AutopilotSettings.MinChangeBytes"/> are not made, and the band is wider than one take step.</para>
/// <para>Host pressure (PSI some avg10 or MemAvailable at their thresholds): guests are ranked by headroom
/// (available − low) and taken from in that order, faster and down to a quarter into the band, until the host's
/// shortfall is covered; the others follow the normal rule. Never past the floor.</para>
/// <para>Hostile statistics: a guest reporting more available memory than it can have is held, not taken from; one
/// that reports too little only gets its own memory back (its target cannot go below 0), which costs no other guest
/// anything; counters that go backwards (a reboot) give no rate; stale statistics grow nothing, and lost ones let an
/// inflated balloon down.</para>
/// </remarks>
public sealed class AutopilotPolicy
{
    private readonly AutopilotSettings _settings;
    private readonly Dictionary<string, GuestHistory> _history = new(StringComparer.Ordinal);

    /// <exception cref="ArgumentException">The settings do not validate.</exception>
    public AutopilotPolicy(AutopilotSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = settings.Validate();
        if (errors.Count > 0)
            throw new ArgumentException(string.Join("; ", errors), nameof(settings));
        _settings = settings;
    }

    /// <summary>The settings in use.</summary>
    public AutopilotSettings Settings => _settings;

    /// <summary>
    /// One decision per guest in <paramref name="guests"/> (in the same order). Guests absent from the list are
    /// forgotten.
    /// </summary>
    public IReadOnlyList<Decision> Decide(DateTimeOffset now, HostSample host, IReadOnlyList<GuestSample> guests)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(guests);
        foreach (var gone in _history.Keys.Where(name => !guests.Any(g => g.Name == name)).ToList())
            _history.Remove(gone);

        var judged = guests.Select(guest => Judge(now, guest)).ToList();
        if (UnderPressure(host))
            TakeUnderPressure(host, judged);
        return judged.Select(j => j.Decision).ToList();
    }

    /// <summary>Whether <paramref name="host"/> is under memory pressure by the settings.</summary>
    public bool UnderPressure(HostSample host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.PsiSomeAvg10 >= _settings.HostPsiSomeAvg10 || host.MemAvailableBytes <= _settings.HostReserveBytes;
    }

    private sealed record Judged(GuestSample Guest, Decision Decision, long Available, long PressurePoint, bool MayTake);

    private Judged Judge(DateTimeOffset now, GuestSample guest)
    {
        var s = _settings;
        if (!_history.TryGetValue(guest.Name, out var history))
            _history[guest.Name] = history = new GuestHistory { FirstSeen = now };

        var ram = Math.Max(0, guest.RamBytes);
        var floor = Math.Clamp(guest.FloorBytes ?? Math.Max(s.FloorMinBytes, (long)(s.FloorFraction * ram)), 0, ram);
        var cap = PageAlign(ram - floor);
        var low = Math.Max(s.LowMinBytes, (long)(s.LowFraction * ram));
        var band = Math.Max(s.BandMinBytes, (long)(s.BandFraction * ram));
        var high = low + band;
        var middle = low + band / 2;
        var target = Math.Clamp(guest.TargetBytes, 0, ram);
        Decision Make(DecisionReason reason, long newTarget, long? available = null) =>
            new(guest.Name, reason, guest.TargetBytes, PageAlign(Math.Clamp(newTarget, 0, cap)), available, low, high, cap);
        Judged Hold(DecisionReason reason, long? available = null) =>
            new(guest, Make(reason, Math.Min(target, cap), available), available ?? 0, 0, false);

        if (target > cap)
            return Hold(DecisionReason.ClampToFloor);

        var interval = TimeSpan.FromSeconds(s.IntervalSeconds);
        var step = (long)(s.TakeRateFraction * ram * s.IntervalSeconds);
        if (guest.StatsAt is not { } statsAt || guest.AvailableBytes is null)
        {
            return target > 0 && now - history.FirstSeen > interval * s.LostIntervals
                ? new(guest, Make(DecisionReason.LetDownLost, target - Math.Max(step, s.MinChangeBytes)), 0, 0, false)
                : Hold(DecisionReason.HoldNoStatistics);
        }
        var age = now - statsAt;
        if (age > interval * s.LostIntervals && target > 0)
            return new(guest, Make(DecisionReason.LetDownLost, target - Math.Max(step, s.MinChangeBytes)), 0, 0, false);
        if (age > interval * s.StaleIntervals)
            return Hold(DecisionReason.HoldStale);

        // Available memory counts only RAM outside the balloon: more than RAM − actual (plus one band of slack for
        // a balloon moving while the guest sampled) cannot be true.
        var reported = guest.AvailableBytes.Value;
        var actual = Math.Clamp(guest.ActualBytes, 0, ram);
        if (reported > (ulong)ram || (long)reported > ram - Math.Min(actual, target) + band)
            return Hold(DecisionReason.HoldAbsurd);
        var available = (long)reported;
        history.Window.Enqueue((now, available + target));
        while (history.Window.Peek().At < now - TimeSpan.FromSeconds(s.TakeWindowSeconds))
            history.Window.Dequeue();
        // The least the guest had free over the window, at today's target: what taking is judged on.
        var trough = history.Window.Min(r => r.Unused) - target;

        var (majorRate, swapRate, oomKills) = Rates(history, guest, statsAt);
        Decision Rated(DecisionReason reason, long newTarget) =>
            Make(reason, newTarget, available) with { MajorFaultsPerSecond = majorRate, SwapInBytesPerSecond = swapRate };

        var burst = oomKills > 0 ? DecisionReason.GiveBackOomKill
            : majorRate >= s.MajorFaultBurstPerSecond || swapRate >= s.SwapInBurstBytesPerSecond ? DecisionReason.GiveBackBurst
            : available < low ? DecisionReason.GiveBackLow
            : (DecisionReason?)null;
        if (burst is { } giveReason)
        {
            var give = Math.Max(middle - available, s.MinChangeBytes);
            if (giveReason != DecisionReason.GiveBackLow)
                give = Math.Max(give, (long)(s.BurstGiveBackFraction * ram));
            history.LastGiveBack = now;
            return new(guest, Rated(giveReason, target - give), available, 0, false);
        }

        var cooling = history.LastGiveBack is { } last && now - last < TimeSpan.FromSeconds(s.CooldownSeconds);
        var pressurePoint = low + band / 4;
        if (trough > high)
        {
            if (cooling)
                return new(guest, Rated(DecisionReason.HoldCooldown, target), trough, pressurePoint, false);
            var take = Math.Min(trough - middle, step);
            var next = Math.Min(cap, target + take);
            return next - target >= s.MinChangeBytes
                ? new(guest, Rated(DecisionReason.Take, next), trough, pressurePoint, true)
                : new(guest, Rated(DecisionReason.InBand, target), trough, pressurePoint, true);
        }
        return new(guest, Rated(DecisionReason.InBand, target), trough, pressurePoint, !cooling);
    }

    /// <summary>The balloon counts 4 KiB pages: the daemon refuses a target that is not a multiple of 4096 bytes.</summary>
    private const long PageBytes = 4096;

    /// <summary><paramref name="bytes"/> rounded down to whole pages (a smaller balloon: never less for the guest).</summary>
    private static long PageAlign(long bytes) => bytes & ~(PageBytes - 1);

    /// <summary>Per-second rates of major faults and swap-ins and new OOM kills since the previous new statistics.</summary>
    private static (double Major, double Swap, ulong OomKills) Rates(GuestHistory history, GuestSample guest, DateTimeOffset statsAt)
    {
        var previous = history.PreviousStats;
        if (previous?.StatsAt is { } before && before == statsAt)
            return (0, 0, 0);   // the same statistics again: nothing new happened that we know of
        history.PreviousStats = guest;
        if (previous?.StatsAt is not { } then || statsAt <= then)
            return (0, 0, 0);
        var seconds = (statsAt - then).TotalSeconds;
        static double Rate(ulong? now, ulong? was, double seconds) =>
            now is { } n && was is { } w && n >= w ? (n - w) / seconds : 0;
        var oom = guest.OomKills is { } k && previous.OomKills is { } p && k > p ? k - p : 0;
        return (Rate(guest.MajorFaults, previous.MajorFaults, seconds), Rate(guest.SwapInBytes, previous.SwapInBytes, seconds), oom);
    }

    /// <summary>
    /// The host is short: take from the guests with the most headroom first, faster and deeper into the band (to a
    /// quarter of it), until the shortfall (reserve − MemAvailable, at least one step when only PSI says so) is covered.
    /// </summary>
    private void TakeUnderPressure(HostSample host, List<Judged> judged)
    {
        var s = _settings;
        long need = Math.Max(host.MemAvailableBytes < s.HostReserveBytes ? s.HostReserveBytes - host.MemAvailableBytes : 0, s.MinChangeBytes);
        foreach (var j in judged.Where(j => j.MayTake).OrderByDescending(j => j.Available - j.Decision.LowBytes).ToList())
        {
            if (need <= 0)
                break;
            var d = j.Decision;
            var ram = Math.Max(0, j.Guest.RamBytes);
            var step = (long)(s.PressureTakeRateFraction * ram * s.IntervalSeconds);
            var already = d.NewTargetBytes - d.OldTargetBytes;
            var take = Math.Min(Math.Min(j.Available - j.PressurePoint, step), need + already) - already;
            if (take <= 0 || take + already < s.MinChangeBytes)
                continue;
            var next = PageAlign(Math.Min(d.MaxTargetBytes, d.NewTargetBytes + take));
            if (next <= d.NewTargetBytes)
                continue;
            need -= next - d.OldTargetBytes;
            judged[judged.IndexOf(j)] = j with { Decision = d with { Reason = DecisionReason.TakeUnderPressure, NewTargetBytes = next } };
        }
    }
}
