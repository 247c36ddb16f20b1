using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Autopilot.Tests;

/// <summary>The runner: finding guests, sampling, applying decisions, dry run, failures, metrics.</summary>
public sealed class AutopilotRunnerTests : IDisposable
{
    private const long GiB = 1L << 30;
    private const long MiB = 1L << 20;
    private readonly string _directory = Directory.CreateTempSubdirectory("ballast-autopilot-").FullName;
    private readonly Dictionary<string, FakeEndpoint> _endpoints = new(StringComparer.Ordinal);
    private DateTimeOffset _now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private FakeEndpoint AddGuest(string name, long ram, long used)
    {
        var path = Path.Combine(_directory, name + ".api");
        File.WriteAllText(path, "");
        var endpoint = new FakeEndpoint(path, ram) { Used = used };
        _endpoints[path] = endpoint;
        return endpoint;
    }

    private AutopilotRunner Runner(AutopilotSettings? settings = null, string? metrics = null, HostSample? host = null) =>
        new(new AutopilotPolicy(settings ?? new AutopilotSettings()), [_directory], path => _endpoints[path], () => host ?? new HostSample(0, 0, 16 * GiB),
            NullLogger.Instance, metrics);

    private async Task<IReadOnlyList<Decision>> Round(AutopilotRunner runner)
    {
        _now += TimeSpan.FromSeconds(2);
        foreach (var endpoint in _endpoints.Values)
            endpoint.StatsAt = _now;
        return await runner.RoundAsync(_now, CancellationToken.None);
    }

    [Fact]
    public async Task IdleGuests_FoundInTheDirectory_AskedForStatistics_AndTakenFrom()
    {
        var a = AddGuest("a", 2 * GiB, 300 * MiB);
        var b = AddGuest("b", 2 * GiB, 1500 * MiB);
        using var runner = Runner();
        for (var i = 0; i < 60; i++)
            await Round(runner);

        Assert.Equal(2, a.PollingSeconds);
        Assert.NotEmpty(a.TargetsSet);
        Assert.True(a.Target > GiB, $"{a.Target >> 20} MiB");
        // b needs most of its RAM: never above the band's top, never a target that leaves it short.
        Assert.True(b.Ram - b.Target - b.Used >= 0);
    }

    [Fact]
    public async Task DryRun_DecidesButSetsNothing()
    {
        var a = AddGuest("a", 2 * GiB, 300 * MiB);
        using var runner = Runner(new AutopilotSettings { DryRun = true });
        var decisions = await Round(runner);
        Assert.Equal(DecisionReason.Take, decisions.Single().Reason);
        Assert.Empty(a.TargetsSet);
        Assert.Equal(0, a.Target);
    }

    [Fact]
    public async Task UnreachableGuest_SkippedForTheRound_OthersServed()
    {
        var broken = AddGuest("broken", 2 * GiB, 0);
        broken.Broken = true;
        var a = AddGuest("a", 2 * GiB, 300 * MiB);
        using var runner = Runner();
        var decisions = await Round(runner);
        Assert.Equal(a.Name, decisions.Single().Guest);
        Assert.NotEmpty(a.TargetsSet);

        // Back: asked for statistics again (a reconnected daemon has forgotten) and decided on.
        broken.Broken = false;
        Assert.Equal(2, (await Round(runner)).Count);
        Assert.Equal(2, broken.PollingSeconds);
    }

    [Fact]
    public async Task GuestsComeAndGo()
    {
        var a = AddGuest("a", 2 * GiB, 300 * MiB);
        using var runner = Runner();
        Assert.Single(await Round(runner));
        AddGuest("b", 2 * GiB, 300 * MiB);
        Assert.Equal(2, (await Round(runner)).Count);
        File.Delete(a.Name);
        var left = await Round(runner);
        Assert.Equal(Path.Combine(_directory, "b.api"), left.Single().Guest);
        Assert.True(a.Disposed);
    }

    [Fact]
    public async Task DisconnectedGuest_OrNoStatistics_NothingTaken()
    {
        var gone = AddGuest("gone", 2 * GiB, 0);
        gone.Connected = false;
        var blind = AddGuest("blind", 2 * GiB, 0);
        blind.HasStatistics = false;
        using var runner = Runner();
        var decisions = await Round(runner);
        Assert.Equal(DecisionReason.HoldNoStatistics, decisions.Single().Reason);
        Assert.Empty(gone.TargetsSet);
        Assert.Empty(blind.TargetsSet);
    }

    [Fact]
    public async Task Metrics_CountDecisions_AndAreWrittenWhole()
    {
        AddGuest("a", 2 * GiB, 300 * MiB);
        var file = Path.Combine(_directory, "autopilot.prom");
        using var runner = Runner(metrics: file, host: new HostSample(12.5, 1, 512 * MiB));
        await Round(runner);
        await Round(runner);
        var text = await File.ReadAllTextAsync(file);
        Assert.Contains($"ballast_autopilot_decisions_total{{guest=\"{Path.Combine(_directory, "a.api")}\",reason=\"TakeUnderPressure\"}} 2", text, StringComparison.Ordinal);
        Assert.Contains("ballast_autopilot_host_pressure 1", text, StringComparison.Ordinal);
        Assert.Contains("ballast_autopilot_host_psi_some_avg10 12.5", text, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".tmp"));
    }
}
