using Ballast.Daemon.Api;

namespace Ballast.Autopilot.Tests;

/// <summary>A guest's API as the runner sees it, driven by the test: a guest whose programs use <see cref="Used"/> bytes.</summary>
internal sealed class FakeEndpoint(string name, long ram) : IGuestEndpoint
{
    public string Name { get; } = name;
    public long Ram { get; } = ram;
    public long Used { get; set; }
    public long Target { get; set; }
    public bool Connected { get; set; } = true;
    public bool Broken { get; set; }
    public bool HasStatistics { get; set; } = true;
    public long PollingSeconds { get; private set; }
    public List<long> TargetsSet { get; } = [];
    public bool Disposed { get; private set; }
    public DateTimeOffset StatsAt { get; set; } = DateTimeOffset.UnixEpoch;

    public Task<BalloonState> GetBalloonAsync(CancellationToken ct) => Broken
        ? throw new HttpRequestException("no answer from the socket")
        : Task.FromResult(new BalloonState((ulong)Target, (ulong)Target, (ulong)Target, Connected ? (ulong)Ram : 0, [], Connected));

    public Task<StatisticsReport> GetStatisticsAsync(CancellationToken ct) => HasStatistics
        ? Task.FromResult(new StatisticsReport
        {
            AvailableMemory = (ulong)Math.Max(0, Ram - Target - Used),
            MajorFaults = 0,
            UpdatedAt = StatsAt,
        })
        : throw new HttpRequestException("no statistics yet");

    public Task SetPollingIntervalAsync(long seconds, CancellationToken ct)
    {
        PollingSeconds = seconds;
        return Task.CompletedTask;
    }

    public Task SetTargetAsync(long targetBytes, CancellationToken ct)
    {
        TargetsSet.Add(targetBytes);
        Target = targetBytes;
        return Task.CompletedTask;
    }

    public void Dispose() => Disposed = true;
}
