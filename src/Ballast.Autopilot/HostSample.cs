namespace Ballast.Autopilot;

/// <summary>The host's memory state at a decision: <c>/proc/pressure/memory</c> and MemAvailable from <c>/proc/meminfo</c>.</summary>
/// <param name="PsiSomeAvg10">The "some" line's avg10 (percent of the last 10 s some task stalled on memory); null if PSI is off.</param>
/// <param name="PsiFullAvg10">The "full" line's avg10; null if PSI is off.</param>
/// <param name="MemAvailableBytes">MemAvailable.</param>
public sealed record HostSample(double? PsiSomeAvg10, double? PsiFullAvg10, long MemAvailableBytes);
