namespace Ballast.AutopilotEval;

/// <summary>One chunk a hog touched (<c>BALLAST hog chunk … us=</c>): its allocation latency.</summary>
/// <param name="Guest">The guest (0-based).</param>
/// <param name="GuestMs">When it was done, the guest's clock (ms since boot).</param>
/// <param name="Mib">The chunk's size.</param>
/// <param name="Us">Time to touch it, µs (guest clock).</param>
public sealed record HogChunk(int Guest, long GuestMs, long Mib, long Us);
