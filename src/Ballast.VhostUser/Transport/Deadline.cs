namespace Ballast.VhostUser.Transport;

/// <summary>
/// When a transfer must be done, fixed once when it starts, so that a peer that sends (or reads) a message in many
/// small pieces, each just in time, cannot stretch the whole beyond the time-out. Monotonic
/// (<see cref="Environment.TickCount64"/>).
/// </summary>
internal readonly record struct Deadline
{
    private readonly long _at;

    private Deadline(long at, int timeoutMs)
    {
        _at = at;
        TimeoutMs = timeoutMs;
    }

    /// <summary>No deadline: wait forever.</summary>
    public static Deadline None => new(long.MaxValue, -1);

    /// <summary>The time-out this deadline was made from, for messages; -1 for <see cref="None"/>.</summary>
    public int TimeoutMs { get; }

    /// <summary><paramref name="timeoutMs"/> from now; a negative time-out means none.</summary>
    public static Deadline After(int timeoutMs) =>
        timeoutMs < 0 ? None : new Deadline(Environment.TickCount64 + timeoutMs, timeoutMs);

    /// <summary>What is left, for poll(2): -1 without a deadline, 0 once it passed.</summary>
    public int RemainingMs => _at == long.MaxValue ? -1 : (int)Math.Clamp(_at - Environment.TickCount64, 0, int.MaxValue);
}
