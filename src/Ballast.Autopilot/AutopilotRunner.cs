using Ballast.Daemon.Api;
using Microsoft.Extensions.Logging;

namespace Ballast.Autopilot;

/// <summary>
/// The autopilot's loop: each interval it finds the guests (API sockets: given ones, and <c>*.api</c> files in given
/// directories — VMs come and go while it runs), reads each guest's balloon and statistics and the host's memory
/// state, asks <see cref="AutopilotPolicy"/> for targets and sets the ones that change (not with
/// <see cref="AutopilotSettings.DryRun"/>). Every decision is a log line (<see cref="AutopilotLog"/>) and a metric
/// (<see cref="AutopilotMetrics"/>). A guest that cannot be reached is skipped for the round, never the loop.
/// </summary>
public sealed class AutopilotRunner : IDisposable
{
    private readonly AutopilotPolicy _policy;
    private readonly IReadOnlyList<string> _places;
    private readonly Func<string, IGuestEndpoint> _connect;
    private readonly Func<HostSample> _host;
    private readonly ILogger _logger;
    private readonly string? _metricsFile;
    private readonly Dictionary<string, (IGuestEndpoint Endpoint, bool Armed)> _guests = new(StringComparer.Ordinal);
    private bool? _pressure;

    /// <param name="policy">The policy (and its settings).</param>
    /// <param name="places">API sockets and directories holding them (<c>*.api</c>).</param>
    /// <param name="connect">Opens a guest's endpoint from its socket path (<see cref="ApiGuestEndpoint"/> for real).</param>
    /// <param name="host">Reads the host's memory state (<see cref="HostPressure.Read"/> for real).</param>
    /// <param name="logger">Where decisions go.</param>
    /// <param name="metricsFile">Where metrics are written after each round, or null.</param>
    public AutopilotRunner(AutopilotPolicy policy, IReadOnlyList<string> places, Func<string, IGuestEndpoint> connect, Func<HostSample> host,
        ILogger logger, string? metricsFile = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(places);
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(logger);
        _policy = policy;
        _places = places;
        _connect = connect;
        _host = host;
        _logger = logger;
        _metricsFile = metricsFile;
    }

    /// <summary>The metrics so far.</summary>
    public AutopilotMetrics Metrics { get; } = new();

    /// <summary>Rounds every interval until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var settings = _policy.Settings;
        AutopilotLog.Started(_logger, _places.Count, string.Join(", ", _places), settings.IntervalSeconds, settings.DryRun ? " (dry run: no target is set)" : "");
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.IntervalSeconds));
        do
        {
            await RoundAsync(DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    /// <summary>One round at <paramref name="now"/>: every guest's decision, in the order the guests were found.</summary>
    public async Task<IReadOnlyList<Decision>> RoundAsync(DateTimeOffset now, CancellationToken ct)
    {
        HostSample host;
        try
        {
            host = _host();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AutopilotLog.HostUnreadable(_logger, e.Message);
            host = new HostSample(null, null, long.MaxValue);
        }
        var pressure = _policy.UnderPressure(host);
        if (pressure != _pressure)
            AutopilotLog.HostPressure(_logger, pressure ? "on" : "off", host.PsiSomeAvg10, host.PsiFullAvg10, host.MemAvailableBytes);
        _pressure = pressure;

        Discover();
        var samples = new List<(GuestSample Sample, IGuestEndpoint Endpoint)>();
        foreach (var (path, guest) in _guests.ToList())
        {
            try
            {
                if (await SampleAsync(path, guest.Endpoint, guest.Armed, ct).ConfigureAwait(false) is { } sample)
                    samples.Add((sample, guest.Endpoint));
                else
                    _guests[path] = (guest.Endpoint, false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _guests[path] = (guest.Endpoint, false);
                AutopilotLog.GuestFailed(_logger, path, e.Message);
            }
        }

        var decisions = _policy.Decide(now, host, [.. samples.Select(s => s.Sample)]);
        for (var i = 0; i < decisions.Count; i++)
        {
            var d = decisions[i];
            var applied = false;
            if (d.Changes && !_policy.Settings.DryRun)
            {
                try
                {
                    await samples[i].Endpoint.SetTargetAsync(d.NewTargetBytes, ct).ConfigureAwait(false);
                    applied = true;
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    AutopilotLog.GuestFailed(_logger, d.Guest, $"setting the target to {d.NewTargetBytes} bytes failed: {e.Message}");
                }
            }
            if (d.Changes)
                AutopilotLog.Decision(_logger, d.Guest, d.Reason, d.OldTargetBytes, d.NewTargetBytes, d.AvailableBytes, d.LowBytes, d.HighBytes,
                    d.MaxTargetBytes, d.MajorFaultsPerSecond, d.SwapInBytesPerSecond, applied);
            else
                AutopilotLog.Unchanged(_logger, d.Guest, d.Reason, d.NewTargetBytes, d.AvailableBytes);
        }
        Metrics.Record(host, pressure, decisions);
        if (_metricsFile is not null)
        {
            try
            {
                Metrics.WriteTo(_metricsFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                AutopilotLog.GuestFailed(_logger, _metricsFile, $"cannot write metrics: {e.Message}");
            }
        }
        return decisions;
    }

    /// <summary>The guest's sample, or null when no guest is connected to that daemon now.</summary>
    private async Task<GuestSample?> SampleAsync(string path, IGuestEndpoint endpoint, bool armed, CancellationToken ct)
    {
        var balloon = await endpoint.GetBalloonAsync(ct).ConfigureAwait(false);
        if (!balloon.Connected || balloon.GuestBytes == 0 || balloon.GuestBytes > long.MaxValue)
            return null;
        if (!armed)
        {
            var seconds = (long)Math.Ceiling(_policy.Settings.IntervalSeconds);
            await endpoint.SetPollingIntervalAsync(seconds, ct).ConfigureAwait(false);
            AutopilotLog.GuestFound(_logger, path, balloon.GuestBytes, seconds);
            _guests[path] = (endpoint, true);
        }
        var sample = new GuestSample(path, (long)balloon.GuestBytes, Bytes(balloon.TargetBytes), Bytes(balloon.ActualBytes));
        StatisticsReport stats;
        try
        {
            stats = await endpoint.GetStatisticsAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return sample;   // none yet, or the stats feature is off: the policy holds (and lets a stranded balloon down)
        }
        return sample with
        {
            StatsAt = stats.UpdatedAt == default ? null : stats.UpdatedAt,
            AvailableBytes = stats.AvailableMemory,
            FreeBytes = stats.FreeMemory,
            CachesBytes = stats.DiskCaches,
            MajorFaults = stats.MajorFaults,
            SwapInBytes = stats.SwapIn,
            OomKills = stats.OomKills,
        };
    }

    private static long Bytes(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    /// <summary>Adds guests whose sockets appeared and drops those whose sockets are gone.</summary>
    private void Discover()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var place in _places)
        {
            if (Directory.Exists(place))
            {
                foreach (var file in Directory.EnumerateFiles(place, "*.api"))
                    found.Add(Path.GetFullPath(file));
            }
            else if (File.Exists(place))
                found.Add(Path.GetFullPath(place));
        }
        foreach (var gone in _guests.Keys.Where(path => !found.Contains(path)).ToList())
        {
            _guests[gone].Endpoint.Dispose();
            _guests.Remove(gone);
            AutopilotLog.GuestGone(_logger, gone);
        }
        foreach (var path in found.Where(path => !_guests.ContainsKey(path)).Order(StringComparer.Ordinal))
            _guests[path] = (_connect(path), false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var guest in _guests.Values)
            guest.Endpoint.Dispose();
        _guests.Clear();
    }
}
