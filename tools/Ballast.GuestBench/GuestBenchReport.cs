namespace Ballast.GuestBench;

/// <summary>
/// <c>ballast guest-bench --json</c>: <c>{"guest_mem_bytes":N,"inflate_bytes":N,"dirty_bytes":N,"runs":[…],
/// "release_granularity":"host-page"}</c>, every run in the order it ran.
/// </summary>
public sealed record GuestBenchReport(long GuestMemBytes, long InflateBytes, long DirtyBytes, IReadOnlyList<GuestBenchRun> Runs)
{
    /// <summary>Ballast's daemon's <c>--release-granularity</c> (<c>host-page</c> or <c>4k</c>); null for its default (host-page).</summary>
    public string? ReleaseGranularity { get; init; }
}
