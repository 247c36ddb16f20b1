using Ballast.Balloon.Device;
using Ballast.Daemon;

namespace Ballast.TestKit;

/// <summary>A transport that says what the test tells it: by default a connected guest with 1 GiB of RAM.</summary>
internal sealed class FakeBalloonBackend : IServeBackend
{
    public const ulong OneGiB = 1UL << 30;

    private readonly TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsConnected { get; set; } = true;

    public ulong GuestRamBytes { get; set; } = OneGiB;

    /// <summary>The device serve built, once <see cref="Factory"/> was called.</summary>
    public BalloonDevice? Device { get; private set; }

    /// <summary>The options serve built the transport with, once <see cref="Factory"/> was called.</summary>
    public ServeOptions? Options { get; private set; }

    /// <summary>A factory for <c>ballast serve</c> that hands out this backend and remembers the device and options.</summary>
    public ServeBackendFactory Factory => (_, device, _, options) =>
    {
        Device = device;
        Options = options;
        return this;
    };

    /// <summary>Completes when <see cref="RunAsync"/> has been called.</summary>
    public Task Running => _running.Task;

    /// <summary>If set, <see cref="RunAsync"/> fails with it (as a bind failure would).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Called first thing in <see cref="RunAsync"/> (where a real transport binds its socket).</summary>
    public Action? OnRun { get; set; }

    /// <summary>Completes when <see cref="RunAsync"/> ends because its token was cancelled.</summary>
    public Task Stopped => _stopped.Task;

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken ct)
    {
        OnRun?.Invoke();
        _running.TrySetResult();
        if (Failure is not null)
            throw Failure;
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _stopped.TrySetResult();
        }
    }
}
