using Ballast.Daemon.Api;
using Ballast.Daemon.Client;

namespace Ballast.Autopilot;

/// <summary>A guest reached through its daemon's API socket (<see cref="BalloonApiClient"/>).</summary>
public sealed class ApiGuestEndpoint(string socketPath) : IGuestEndpoint
{
    private readonly BalloonApiClient _client = new(socketPath, TimeSpan.FromSeconds(5));

    /// <inheritdoc/>
    public string Name { get; } = socketPath;

    /// <inheritdoc/>
    public Task<BalloonState> GetBalloonAsync(CancellationToken ct) => _client.GetBalloonAsync(ct);

    /// <inheritdoc/>
    public Task<StatisticsReport> GetStatisticsAsync(CancellationToken ct) => _client.GetStatisticsAsync(ct);

    /// <inheritdoc/>
    public Task SetPollingIntervalAsync(long seconds, CancellationToken ct) => _client.SetPollingIntervalAsync(seconds, ct);

    /// <inheritdoc/>
    public Task SetTargetAsync(long targetBytes, CancellationToken ct) => _client.SetTargetAsync(targetBytes, ct);

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
