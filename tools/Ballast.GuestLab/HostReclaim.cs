using System.Diagnostics;

namespace Ballast.GuestLab;

/// <summary>
/// Free page reporting seen from the host: the guest's hogs let go of their memory (the console's <c>unhog</c>) and the
/// host memory behind guest RAM is read until it settles. No balloon target is involved: whatever the host gets back,
/// the guest reported as free.
/// </summary>
public static class HostReclaim
{
    /// <summary>
    /// Reads the host memory behind <paramref name="guest"/>'s RAM, sends <c>unhog</c> (starting the clock), then reads
    /// it every <see cref="ReclaimWatch.Interval"/> until every hog has exited and the readings settled
    /// (<see cref="ReclaimWatch"/>).
    /// </summary>
    /// <exception cref="TimeoutException">The memory did not settle within <see cref="ReclaimWatch.Timeout"/>, or QEMU exited.</exception>
    public static async Task<ReclaimTrace> UnhogAsync(QemuGuest guest, ReclaimWatch watch, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(watch);
        var cursor = guest.Serial.Count;
        var before = guest.HostMemoryBytes();
        var samples = new List<HostMemorySample>();
        var clock = Stopwatch.StartNew();
        // Read while the guest takes the command: the host's memory may move before the acknowledgement arrives.
        var sending = guest.SendConsoleAsync("unhog", ct: ct);
        double? freedMs = null;
        double? exitedMs = null;
        while (true)
        {
            var ms = clock.Elapsed.TotalMilliseconds;
            samples.Add(new HostMemorySample(ms, guest.HostMemoryBytes()));
            guest.Serial.Refresh();
            var facts = guest.Serial.Events().Skip(cursor).ToList();
            if (freedMs is null && facts.Any(e => e.Name == "hog freed"))
                freedMs = ms;
            if (exitedMs is null && facts.Count(e => e.Name == "hog exited") >= watch.Hogs)
                exitedMs = ms;
            if (sending.IsFaulted)
                await sending.ConfigureAwait(false);
            if (exitedMs is { } exited && SettledAt(samples, exited, watch) is { } settled)
            {
                var unhog = await sending.ConfigureAwait(false);
                var rate = await GuestClockRateAsync(guest, unhog, clock, ct).ConfigureAwait(false);
                return new ReclaimTrace(before, samples, freedMs, exited, settled) { GuestClockRate = rate };
            }
            if (guest.ExitReason() is { } reason)
                throw new TimeoutException($"gave up watching the host memory after unhog: {reason}");
            if (clock.Elapsed >= watch.Timeout)
            {
                throw new TimeoutException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the host memory behind guest RAM did not settle within {watch.Timeout.TotalSeconds:0.#} s of unhog (hog exited at {exitedMs:0} ms): "
                    + $"{before >> 20} MiB before, readings {string.Join(", ", samples.Where((_, i) => i % 20 == 0).Select(s => $"{s.Ms:0} ms {s.Bytes >> 20} MiB"))}"));
            }
            await Task.Delay(watch.Interval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How fast the guest's clock ran against the host's over the watch: guest milliseconds per host millisecond, from
    /// the guest's own acknowledgements (<c>BALLAST control t=…</c>, its uptime) of <c>unhog</c>, sent at host time 0,
    /// and of a <c>report</c> sent now; null if either carries no time.
    /// </summary>
    /// <remarks>
    /// Under TCG the guest kernel cannot calibrate its TSC, the APIC timer fails verification and time is kept in
    /// jiffies counted from the emulated PIT's interrupts (the guest's boot log says so): an interrupt QEMU delivers
    /// late is lost, so the guest's clock runs slow by an amount that changes from boot to boot with the host's load.
    /// Linux paces free page reporting on that clock (2 s between passes), so a reclaim time in host milliseconds
    /// carries the guest's clock error; the rate lets a reader take it out.
    /// </remarks>
    private static async Task<double?> GuestClockRateAsync(QemuGuest guest, SerialEvent unhog, Stopwatch clock, CancellationToken ct)
    {
        var sentMs = clock.Elapsed.TotalMilliseconds;
        var report = await guest.SendConsoleAsync("report", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (!long.TryParse(unhog["t"], System.Globalization.CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(report["t"], System.Globalization.CultureInfo.InvariantCulture, out var last) || sentMs <= 0)
            return null;
        return (last - first) / sentMs;
    }

    /// <summary>
    /// The time of the first reading of the final in-band stretch if the last <see cref="ReclaimWatch.SettleWindow"/>
    /// (all after <paramref name="exitedMs"/>) is within the band of the newest reading; null while it is not.
    /// </summary>
    public static double? SettledAt(IReadOnlyList<HostMemorySample> samples, double exitedMs, ReclaimWatch watch)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(watch);
        if (samples.Count == 0)
            return null;
        var last = samples[^1];
        if (last.Ms - exitedMs < watch.SettleWindow.TotalMilliseconds)
            return null;
        var first = samples.Count - 1;
        while (first > 0 && Math.Abs(samples[first - 1].Bytes - last.Bytes) <= watch.SettleBandBytes)
            first--;
        return last.Ms - samples[first].Ms >= watch.SettleWindow.TotalMilliseconds ? samples[first].Ms : null;
    }
}
