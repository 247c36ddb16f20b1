using Ballast.Balloon.Device;
using Ballast.Virtio.Units;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// <c>serve --target SIZE</c>: the balloon target set once, when the first guest's driver is ready
/// (<see cref="BalloonDevice.DriverReady"/>: its inflate ring started), as <c>ballast balloon set</c> would set it —
/// checked against the guest's RAM, then <c>num_pages</c> and a config-change notice to the guest. A target the guest
/// cannot hold is logged and not applied. Later guests keep whatever target the device has then (a reset keeps it).
/// </summary>
internal sealed class InitialTarget : IDisposable
{
    private readonly BalloonDevice _device;
    private readonly IBalloonBackend _backend;
    private readonly long _targetBytes;
    private readonly ILogger _logger;
    private int _done;

    /// <summary>Waits for <paramref name="device"/>'s driver to set <paramref name="targetBytes"/> (through <see cref="BalloonTarget.CheckBytes"/>).</summary>
    public InitialTarget(BalloonDevice device, IBalloonBackend backend, long targetBytes, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(logger);
        _device = device;
        _backend = backend;
        _targetBytes = targetBytes;
        _logger = logger;
        device.DriverReady += OnDriverReady;
    }

    /// <summary>Completes once the target was applied or refused.</summary>
    public Task Applied => _applied.Task;

    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Raised on the transport's event loop while it starts rings: the target is set from the thread pool, so the
    // config-change notice to QEMU goes out from there (as from an API request), not from inside a request.
    private void OnDriverReady()
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
            return;
        _device.DriverReady -= OnDriverReady;
        ThreadPool.UnsafeQueueUserWorkItem(static self => self.Apply(), this, preferLocal: false);
    }

    private void Apply()
    {
        try
        {
            if (BalloonTarget.CheckFits(_targetBytes, _backend.GuestRamBytes) is { } tooLarge)
            {
                DaemonLog.InitialTargetRefused(_logger, tooLarge);
                return;
            }
            var pages = BalloonTarget.Pages(_targetBytes);
            _device.SetTargetPages((uint)pages);
            DaemonLog.InitialTargetSet(_logger, SizeFormatter.Format(_targetBytes), pages);
        }
        finally
        {
            _applied.TrySetResult();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _device.DriverReady -= OnDriverReady;
}
