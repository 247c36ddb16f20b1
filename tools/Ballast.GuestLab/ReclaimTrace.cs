namespace Ballast.GuestLab;

/// <summary>
/// What the host saw after the guest's hogs let go of their memory (<see cref="HostReclaim.UnhogAsync"/>): the host
/// memory behind guest RAM before, every reading after (the clock starts as <c>unhog</c> is sent), when the serial
/// log said the hogs had freed their memory and exited, and when the memory settled (<see cref="ReclaimWatch"/>).
/// </summary>
/// <param name="BytesBefore">Host memory behind guest RAM just before <c>unhog</c> was sent.</param>
/// <param name="Samples">Every reading, in order.</param>
/// <param name="FreedMs">When the host first saw <c>BALLAST hog freed</c> (the hog's memory unmapped), or null.</param>
/// <param name="ExitedMs">When the host saw the last hog's <c>BALLAST hog exited</c>.</param>
/// <param name="SettledMs">The first reading of the final stretch that stays within the band of the last reading.</param>
public sealed record ReclaimTrace(long BytesBefore, IReadOnlyList<HostMemorySample> Samples, double? FreedMs, double ExitedMs, double SettledMs)
{
    /// <summary>Host memory behind guest RAM at the end of the watch (the last reading).</summary>
    public long BytesAfter => Samples[^1].Bytes;

    /// <summary>What the host got back: <see cref="BytesBefore"/> − <see cref="BytesAfter"/>.</summary>
    public long ReclaimedBytes => BytesBefore - BytesAfter;

    /// <summary>When a reading first showed at least <paramref name="bytes"/> given back, or null if none did.</summary>
    public double? MsToReclaim(long bytes)
    {
        foreach (var sample in Samples)
        {
            if (BytesBefore - sample.Bytes >= bytes)
                return sample.Ms;
        }
        return null;
    }

    /// <summary>
    /// Guest milliseconds per host millisecond over the watch (the guest's uptime at its acknowledgements of
    /// <c>unhog</c> and of a <c>report</c> sent after the memory settled); null when unknown. See
    /// <see cref="HostReclaim"/>.
    /// </summary>
    public double? GuestClockRate { get; init; }

    /// <summary>A one-line summary for logs and failure messages.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"host {BytesBefore >> 20} -> {BytesAfter >> 20} MiB ({ReclaimedBytes >> 20} MiB back), hog freed at {FreedMs:0} ms, exited at {ExitedMs:0} ms, "
        + $"settled at {SettledMs:0} ms, {Samples.Count} readings, guest clock {GuestClockRate:0.000}x");
}
