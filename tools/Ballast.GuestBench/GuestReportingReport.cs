namespace Ballast.GuestBench;

/// <summary>
/// <c>ballast guest-bench --reporting --json</c>: <c>{"guest_mem_bytes":N,"hog_bytes":N,"poll_interval_ms":X,
/// "settle_window_ms":X,"settle_band_bytes":N,"runs":[…]}</c>, every run in the order it ran. A run's memory counts as
/// settled once every reading of the last <c>settle_window_ms</c> (after the hog exited) lies within
/// <c>settle_band_bytes</c> of the newest (<see cref="GuestLab.ReclaimWatch"/>).
/// </summary>
public sealed record GuestReportingReport(long GuestMemBytes, long HogBytes, double PollIntervalMs, double SettleWindowMs, long SettleBandBytes,
    IReadOnlyList<GuestReportingRun> Runs);
