namespace Ballast.GuestLab.Tests;

/// <summary><see cref="HostReclaim.SettledAt"/> and <see cref="ReclaimTrace"/>: when host memory counts as back (no guest needed).</summary>
public sealed class HostReclaimTests
{
    private const long MiB = 1L << 20;
    private static readonly ReclaimWatch s_watch = ReclaimWatch.For(1024 * MiB); // 4 s within 20.48 MiB

    /// <summary>Readings every 500 ms: <paramref name="mib"/>[i] at i × 500 ms.</summary>
    private static List<HostMemorySample> Samples(params long[] mib) => [.. mib.Select((m, i) => new HostMemorySample(i * 500.0, m * MiB))];

    [Fact]
    public void SettledAt_FlatBeforeTheHogExited_IsNotSettled_TheReportingDelayIsNoEnd()
    {
        // Flat for 5 s, but the hog exited at 3 s: fewer than 4 s of readings since.
        Assert.Null(HostReclaim.SettledAt(Samples(1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100), 3000, s_watch));
    }

    [Fact]
    public void SettledAt_AfterADropAndFourQuietSeconds_IsTheFirstReadingOfTheQuietStretch()
    {
        // Drops from 1100 to 100 MiB in steps (within the 20 MiB band from 2.5 s), then stays.
        var samples = Samples(1100, 1100, 900, 600, 300, 110, 100, 100, 100, 100, 100, 100, 100, 100);
        Assert.Equal(2500, HostReclaim.SettledAt(samples, 500, s_watch));
        Assert.Null(HostReclaim.SettledAt(samples[..12], 500, s_watch)); // only 3 s quiet yet
    }

    [Fact]
    public void SettledAt_NothingGivenBack_SettlesAtTheFirstReading()
    {
        var samples = Samples(1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100);
        Assert.Equal(0, HostReclaim.SettledAt(samples, 0, s_watch));
    }

    [Fact]
    public void Trace_ReclaimedAndTimeToAnAmount_ComeFromTheReadings()
    {
        var trace = new ReclaimTrace(1100 * MiB, Samples(1100, 900, 600, 100, 100), FreedMs: 300, ExitedMs: 320, SettledMs: 1500);

        Assert.Equal(100 * MiB, trace.BytesAfter);
        Assert.Equal(1000 * MiB, trace.ReclaimedBytes);
        Assert.Equal(1000, trace.MsToReclaim(500 * MiB));
        Assert.Equal(1500, trace.MsToReclaim(900 * MiB));
        Assert.Null(trace.MsToReclaim(1001 * MiB));
    }
}
