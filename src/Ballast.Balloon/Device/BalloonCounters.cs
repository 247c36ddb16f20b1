using System.Diagnostics;

namespace Ballast.Balloon.Device;

/// <summary>
/// What the device did, for the benchmark's stage breakdown and for /metrics. Written by the device thread (the
/// release counters also by the deferred-release worker, atomically), read by anyone (values are 64-bit and read
/// without tearing on 64-bit platforms; a reader may see a batch half counted).
/// </summary>
public sealed class BalloonCounters
{
    private readonly long[] _errors;

    /// <summary>All counters at zero.</summary>
    public BalloonCounters() => _errors = new long[Enum.GetValues<BalloonError>().Length];

    private BalloonCounters(long[] errors) => _errors = errors;

    /// <summary>Stopwatch ticks spent validating guest addresses and translating them to host ranges.</summary>
    public long TranslateTicks;

    /// <summary>Stopwatch ticks spent in release system calls.</summary>
    public long ReleaseTicks;

    /// <summary>Contiguous runs released (after coalescing).</summary>
    public long Runs;

    /// <summary>fallocate/madvise calls made.</summary>
    public long ReleaseCalls;

    /// <summary>Bytes given back to the host.</summary>
    public long BytesReleased;

    /// <summary>Inflate/deflate buffers (descriptor chains) processed.</summary>
    public long Buffers;

    /// <summary>Kicks (available-buffer notifications) the device woke up for.</summary>
    public long Kicks;

    /// <summary>Used-buffer notifications sent to the driver.</summary>
    public long Interrupts;

    /// <summary>4 KiB frames newly ballooned.</summary>
    public long PagesInflated;

    /// <summary>4 KiB frames taken back by the guest.</summary>
    public long PagesDeflated;

    /// <summary>
    /// 4 KiB frames of replayed buffers (<see cref="BalloonDevice.SetReplayWindow"/>) that were already ballooned
    /// (inflate) or not ballooned (deflate): work a killed worker had done before it could return the buffer. Not errors.
    /// </summary>
    public long ReplayedPages;

    /// <summary>Stats buffers received.</summary>
    public long StatsUpdates;

    /// <summary>Config-change notifications raised (target changes).</summary>
    public long ConfigChanges;

    /// <summary>Free page reports (reporting_vq buffers) received, VIRTIO 1.2 §5.5.6.6; rejected chains included.</summary>
    public long Reports;

    /// <summary>
    /// Stopwatch ticks from taking a reporting buffer to giving it back (checks, translation and the releases): the
    /// guest's reporting thread waits this long per report, which is what a comparison with another device needs.
    /// </summary>
    public long ReportTicks;

    /// <summary>Valid reported blocks (descriptors of report buffers that passed the checks).</summary>
    public long ReportedEntries;

    /// <summary>Valid reported blocks the driver marked driver-readable (Linux adds them device-writable); accepted.</summary>
    public long ReportedReadableEntries;

    /// <summary>Bytes of valid reported blocks.</summary>
    public long ReportedBytes;

    /// <summary>
    /// Bytes released because they were reported (also in <see cref="BytesReleased"/>). Less than
    /// <see cref="ReportedBytes"/> by what poison kept (<see cref="ReportSkippedPoisonBytes"/>), by the parts of blocks
    /// that are not whole host pages on huge-page memory, and by failed releases.
    /// </summary>
    public long ReportReleasedBytes;

    /// <summary>Reported bytes not released because the guest poisons free pages (PAGE_POISON with poison_val ≠ 0).</summary>
    public long ReportSkippedPoisonBytes;

    /// <summary>Translation time in milliseconds.</summary>
    public double TranslateMs => TranslateTicks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Release time in milliseconds.</summary>
    public double ReleaseMs => ReleaseTicks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Count of errors of <paramref name="kind"/>.</summary>
    public long Errors(BalloonError kind) => Volatile.Read(ref _errors[(int)kind]);

    /// <summary>Reported blocks skipped as malformed: the report kinds of <see cref="BalloonError"/>.</summary>
    public long ReportMalformedEntries =>
        Errors(BalloonError.ReportZeroLength) + Errors(BalloonError.ReportUnaligned) + Errors(BalloonError.ReportOutsideRam);

    /// <summary>All errors.</summary>
    public long TotalErrors => _errors.Sum();

    internal void AddError(BalloonError kind, long count = 1) => Interlocked.Add(ref _errors[(int)kind], count);

    /// <summary>A copy, for computing differences across a benchmark stage.</summary>
    public BalloonCounters Snapshot()
    {
        var errors = new long[_errors.Length];
        for (var i = 0; i < errors.Length; i++)
            errors[i] = Volatile.Read(ref _errors[i]);
        return new BalloonCounters(errors)
        {
            TranslateTicks = TranslateTicks,
            ReleaseTicks = ReleaseTicks,
            Runs = Runs,
            ReleaseCalls = ReleaseCalls,
            BytesReleased = BytesReleased,
            Buffers = Buffers,
            Kicks = Kicks,
            Interrupts = Interrupts,
            PagesInflated = PagesInflated,
            PagesDeflated = PagesDeflated,
            ReplayedPages = ReplayedPages,
            StatsUpdates = StatsUpdates,
            ConfigChanges = ConfigChanges,
            Reports = Reports,
            ReportTicks = ReportTicks,
            ReportedEntries = ReportedEntries,
            ReportedReadableEntries = ReportedReadableEntries,
            ReportedBytes = ReportedBytes,
            ReportReleasedBytes = ReportReleasedBytes,
            ReportSkippedPoisonBytes = ReportSkippedPoisonBytes,
        };
    }
}
