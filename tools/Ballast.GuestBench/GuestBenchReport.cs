namespace Ballast.GuestBench;

/// <summary>
/// <c>ballast guest-bench --json</c>: <c>{"guest_mem_bytes":N,"inflate_bytes":N,"dirty_bytes":N,"runs":[…]}</c>, every run
/// in the order it ran.
/// </summary>
public sealed record GuestBenchReport(long GuestMemBytes, long InflateBytes, long DirtyBytes, IReadOnlyList<GuestBenchRun> Runs);
