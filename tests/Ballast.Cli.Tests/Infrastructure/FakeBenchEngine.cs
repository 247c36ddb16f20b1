using Ballast.Simulation.Experiment;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>
/// A stand-in for the real engine: records what it was asked, reports a little progress, and returns
/// deterministic runs (one per mode and repeat) or whatever <see cref="OnRun"/> says.
/// </summary>
internal sealed class FakeBenchEngine : IBenchEngine, IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<BenchOptions> _calls = [];

    /// <summary>Replaces the default behaviour of <see cref="Run"/> when set.</summary>
    public Func<BenchOptions, IProgress<BenchProgress>?, CancellationToken, BenchReport>? OnRun { get; init; }

    /// <summary>The floor the default report carries.</summary>
    public double FloorMs { get; init; } = 50.25;

    /// <summary>The options of every call to <see cref="Run"/>.</summary>
    public IReadOnlyList<BenchOptions> Calls
    {
        get
        {
            lock (_lock)
                return [.. _calls];
        }
    }

    /// <summary>Whether the command disposed the engine.</summary>
    public bool Disposed { get; private set; }

    /// <summary>How many engines the command built with <see cref="Factory"/>.</summary>
    public int FactoryCalls { get; private set; }

    /// <summary>A factory for the command that hands out this engine and counts calls.</summary>
    public Func<IBenchEngine> Factory => () =>
    {
        FactoryCalls++;
        return this;
    };

    /// <inheritdoc/>
    public BenchReport Run(BenchOptions options, IProgress<BenchProgress>? progress, CancellationToken ct)
    {
        lock (_lock)
            _calls.Add(options);
        if (OnRun is not null)
            return OnRun(options, progress, ct);

        var runs = new List<BenchRun>();
        foreach (var mode in options.Modes)
        {
            for (var i = 0; i < options.Repeat; i++)
            {
                ct.ThrowIfCancellationRequested();
                progress?.Report(new BenchProgress(mode, BenchPhases.Inflate, options.InflateBytes / 2, options.InflateBytes));
                progress?.Report(new BenchProgress(mode, BenchPhases.Inflate, options.InflateBytes, options.InflateBytes));
                runs.Add(SampleRuns.For(mode, options.InflateBytes, options.GuestMemBytes, scale: 1 + i));
            }
        }

        return BenchReport.For(options, FloorMs, runs);
    }

    /// <inheritdoc/>
    public void Dispose() => Disposed = true;
}
