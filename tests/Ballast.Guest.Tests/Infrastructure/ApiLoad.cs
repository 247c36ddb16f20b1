using System.Collections.Concurrent;
using System.Diagnostics;
using Ballast.Daemon.Client;
using Ballast.Daemon;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// Clients of a daemon's management API running in parallel on background tasks until stopped: each has its own
/// <see cref="BalloonApiClient"/> (so its own keep-alive connection) and goes round <c>GET /balloon</c>,
/// <c>GET /balloon/statistics</c> and <c>GET /metrics</c> (client <i>k</i> starting at the <i>k</i>-th), with a
/// short pause after each request. Every answer is checked a little (connected, statistics present, metrics text);
/// a failed or wrong answer is counted and the first few are kept. <c>GET /balloon</c> answers go to a
/// <see cref="TargetLog"/>.
/// </summary>
public sealed class ApiLoad : IAsyncDisposable
{
    private const int KeptFailures = 10;

    private readonly CancellationTokenSource _stop = new();
    private readonly TargetLog _targets;
    private readonly Task[] _clients;
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _balloon;
    private long _statistics;
    private long _metrics;
    private long _failed;

    private ApiLoad(string apiSocket, int clients, TimeSpan pause, TargetLog targets)
    {
        _targets = targets;
        _clients = [.. Enumerable.Range(0, clients).Select(k => Task.Run(() => RunClientAsync(apiSocket, k, pause)))];
    }

    /// <summary>Starts <paramref name="clients"/> clients of the API at <paramref name="apiSocket"/>.</summary>
    public static ApiLoad Start(string apiSocket, int clients, TimeSpan pause, TargetLog targets)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiSocket);
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 1);
        ArgumentNullException.ThrowIfNull(targets);
        return new ApiLoad(apiSocket, clients, pause, targets);
    }

    /// <summary>Answered <c>GET /balloon</c> requests.</summary>
    public long BalloonRequests => Interlocked.Read(ref _balloon);

    /// <summary>Answered <c>GET /balloon/statistics</c> requests.</summary>
    public long StatisticsRequests => Interlocked.Read(ref _statistics);

    /// <summary>Answered <c>GET /metrics</c> requests.</summary>
    public long MetricsRequests => Interlocked.Read(ref _metrics);

    /// <summary>Requests sent: answered plus failed.</summary>
    public long Requests => BalloonRequests + StatisticsRequests + MetricsRequests + Failures;

    /// <summary>Requests that failed or got a wrong answer.</summary>
    public long Failures => Interlocked.Read(ref _failed);

    /// <summary>The first failures, with when they happened.</summary>
    public IReadOnlyList<string> FailureMessages => [.. _failures];

    private async Task RunClientAsync(string apiSocket, int index, TimeSpan pause)
    {
        using var client = new BalloonApiClient(apiSocket);
        var ct = _stop.Token;
        for (var turn = index; !ct.IsCancellationRequested; turn++)
        {
            try
            {
                var problem = (turn % 3) switch
                {
                    0 => await GetBalloonAsync(client, ct).ConfigureAwait(false),
                    1 => await GetStatisticsAsync(client, ct).ConfigureAwait(false),
                    _ => await GetMetricsAsync(client, ct).ConfigureAwait(false),
                };
                if (problem is not null)
                    Fail(index, problem);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Fail(index, $"{e.GetType().Name}: {e.Message}");
            }
            try
            {
                await Task.Delay(pause, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string?> GetBalloonAsync(BalloonApiClient client, CancellationToken ct)
    {
        var ticket = _targets.Ticket();
        var state = await client.GetBalloonAsync(ct).ConfigureAwait(false);
        if (!state.Connected)
            return $"GET /balloon says no guest is connected: {state}";
        _targets.Observe(ticket, state);
        Interlocked.Increment(ref _balloon);
        return null;
    }

    private async Task<string?> GetStatisticsAsync(BalloonApiClient client, CancellationToken ct)
    {
        var statistics = await client.GetStatisticsAsync(ct).ConfigureAwait(false);
        if (statistics.FreeMemory is null || statistics.TotalMemory is null)
            return "GET /balloon/statistics has no free_memory or total_memory";
        Interlocked.Increment(ref _statistics);
        return null;
    }

    private async Task<string?> GetMetricsAsync(BalloonApiClient client, CancellationToken ct)
    {
        var metrics = await client.GetMetricsAsync(ct).ConfigureAwait(false);
        if (!metrics.Contains(MetricsWriter.Prefix + "actual_bytes", StringComparison.Ordinal))
            return $"GET /metrics has no {MetricsWriter.Prefix}actual_bytes: {metrics[..Math.Min(200, metrics.Length)]}";
        Interlocked.Increment(ref _metrics);
        return null;
    }

    private void Fail(int client, string message)
    {
        Interlocked.Increment(ref _failed);
        if (_failures.Count < KeptFailures)
            _failures.Enqueue($"client {client} at {_clock.Elapsed.TotalSeconds:0.0} s: {message}");
    }

    /// <summary>Stops every client (a request in flight is cancelled, which is no failure) and waits for them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_clients).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
