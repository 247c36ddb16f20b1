namespace Ballast.AutopilotEval;

/// <summary>One sample of every guest and the host (taken every second).</summary>
/// <param name="Seconds">Seconds since the scenario started (host clock).</param>
/// <param name="PsiSomeAvg10">The host's <c>/proc/pressure/memory</c> "some" avg10, percent; null without PSI.</param>
/// <param name="PsiFullAvg10">The "full" avg10.</param>
/// <param name="HostMemAvailableBytes">The host's MemAvailable.</param>
/// <param name="Guests">Each guest, in guest order.</param>
public sealed record EvalTick(double Seconds, double? PsiSomeAvg10, double? PsiFullAvg10, long HostMemAvailableBytes, IReadOnlyList<GuestTick> Guests)
{
    /// <summary>Host memory behind all guests' RAM.</summary>
    public long HostBytes => Guests.Sum(g => g.HostBytes);
}
