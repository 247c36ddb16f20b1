namespace Ballast.AutopilotEval;

/// <summary>One guest at one sample.</summary>
/// <param name="HostBytes">Host memory behind the guest's RAM (st_blocks of its memfd).</param>
/// <param name="AvailableBytes">The guest's MemAvailable from its newest <c>meminfo</c> serial line; null before the first.</param>
/// <param name="TargetBytes">The balloon target (<c>GET /balloon</c>); null if the daemon did not answer.</param>
/// <param name="ActualBytes">The balloon's size as the guest reports it; null if the daemon did not answer.</param>
public sealed record GuestTick(long HostBytes, long? AvailableBytes, long? TargetBytes, long? ActualBytes);
