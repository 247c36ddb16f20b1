using Ballast.Daemon.Api;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// The balloon targets a test set, one after another, and which of them the guest reached: a target counts as
/// reached if some <c>GET /balloon</c> sent after it was set, and answered before the next one was set, showed it as
/// both <c>target_bytes</c> and <c>actual_bytes</c>. Thread-safe: one writer sets targets, API clients observe.
/// </summary>
public sealed class TargetLog
{
    private readonly Lock _lock = new();
    private readonly List<long> _targets = [];
    private readonly List<bool> _reached = [];

    /// <summary>How many targets were set.</summary>
    public int Set
    {
        get
        {
            lock (_lock)
                return _targets.Count;
        }
    }

    /// <summary>How many of them were reached.</summary>
    public int Reached
    {
        get
        {
            lock (_lock)
                return _reached.Count(r => r);
        }
    }

    /// <summary>The last target set, or null.</summary>
    public long? Last
    {
        get
        {
            lock (_lock)
                return _targets.Count == 0 ? null : _targets[^1];
        }
    }

    /// <summary>Records <paramref name="targetBytes"/> as the current target; call once <c>PUT /balloon</c> has been answered.</summary>
    public void Add(long targetBytes)
    {
        lock (_lock)
        {
            _targets.Add(targetBytes);
            _reached.Add(false);
        }
    }

    /// <summary>A ticket to take before sending <c>GET /balloon</c>: which target was current then (-1: none yet).</summary>
    public int Ticket()
    {
        lock (_lock)
            return _targets.Count - 1;
    }

    /// <summary>
    /// Records what a <c>GET /balloon</c> sent with <paramref name="ticket"/> answered: if the same target is still
    /// current and <paramref name="state"/> shows actual = target = it, that target was reached.
    /// </summary>
    public void Observe(int ticket, BalloonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            if (ticket < 0 || ticket != _targets.Count - 1)
                return;
            var target = (ulong)_targets[ticket];
            if (state.TargetBytes == target && state.ActualBytes == target)
                _reached[ticket] = true;
        }
    }
}
