using System.Diagnostics;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// Reads a process's <see cref="ProcessFootprint"/> at a fixed interval on a background task until stopped (a tick
/// missed because the machine was busy is skipped, not made up). Reading <c>/proc</c> opens files in this process,
/// never in the one watched.
/// </summary>
public sealed class FootprintRecorder : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<ProcessFootprint> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _pid;
    private string? _failure;

    private FootprintRecorder(int pid, TimeSpan interval)
    {
        _pid = pid;
        _loop = RunAsync(interval);
    }

    /// <summary>Takes a first reading now, then one every <paramref name="interval"/>.</summary>
    public static FootprintRecorder Start(int pid, TimeSpan interval) => new(pid, interval);

    /// <summary>Why recording ended early (the process went away), or null.</summary>
    public string? Failure
    {
        get
        {
            lock (_lock)
                return _failure;
        }
    }

    /// <summary>The readings so far, oldest first.</summary>
    public IReadOnlyList<ProcessFootprint> Samples
    {
        get
        {
            lock (_lock)
                return [.. _samples];
        }
    }

    private async Task RunAsync(TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var sample = ProcessFootprint.Read(_pid, clock.Elapsed);
                lock (_lock)
                    _samples.Add(sample);
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (InvalidOperationException e)
        {
            lock (_lock)
                _failure = e.Message;
        }
    }

    /// <summary>Stops recording (no reading is taken after this returns) and returns every reading.</summary>
    public async Task<IReadOnlyList<ProcessFootprint>> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        return Samples;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
