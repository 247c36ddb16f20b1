using Ballast.Daemon.Api;

namespace Ballast.Autopilot;

/// <summary>One guest's daemon as the autopilot uses it: its management API (<c>ballast serve --api</c>).</summary>
public interface IGuestEndpoint : IDisposable
{
    /// <summary>The guest's name (the API socket's path).</summary>
    string Name { get; }

    /// <summary>GET /balloon.</summary>
    Task<BalloonState> GetBalloonAsync(CancellationToken ct);

    /// <summary>GET /balloon/statistics.</summary>
    Task<StatisticsReport> GetStatisticsAsync(CancellationToken ct);

    /// <summary>PUT /balloon/statistics: the guest is asked for fresh statistics every <paramref name="seconds"/>.</summary>
    Task SetPollingIntervalAsync(long seconds, CancellationToken ct);

    /// <summary>PUT /balloon: a new target.</summary>
    Task SetTargetAsync(long targetBytes, CancellationToken ct);
}
