using System.Diagnostics;

namespace Ballast.GuestLab;

/// <summary>Polling with a time-out, for conditions nobody announces (a balloon's <c>actual</c>, a daemon's connection).</summary>
public static class GuestWait
{
    /// <summary>
    /// Evaluates <paramref name="condition"/> every <paramref name="interval"/> until it holds and returns how long
    /// that took (measured from the call).
    /// </summary>
    /// <param name="condition">The condition; it may do I/O.</param>
    /// <param name="timeout">How long to try.</param>
    /// <param name="interval">The pause between tries.</param>
    /// <param name="describe">Says what was awaited and what was last seen, for the time-out message.</param>
    /// <param name="abort">A non-null reason (e.g. QEMU exited) ends the wait at once.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="TimeoutException">The condition did not hold in time, or <paramref name="abort"/> gave a reason.</exception>
    public static async Task<TimeSpan> UntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, TimeSpan interval,
        Func<string> describe, Func<string?>? abort = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(describe);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition(ct).ConfigureAwait(false))
                return clock.Elapsed;
            if (abort?.Invoke() is { } reason)
                throw new TimeoutException($"gave up waiting for {describe()}: {reason}");
            if (clock.Elapsed >= timeout)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {describe()}");
            await Task.Delay(interval, ct).ConfigureAwait(false);
        }
    }
}
