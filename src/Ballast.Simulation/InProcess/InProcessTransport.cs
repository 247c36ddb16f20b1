using Ballast.Balloon.Device;
using Ballast.Linux;
using Ballast.Virtio;
using Ballast.Virtio.Queue;
using Microsoft.Extensions.Logging;

namespace Ballast.Simulation.InProcess;

/// <summary>
/// Connects a driver to a <see cref="BalloonDevice"/> in the same process: queues live in the shared guest
/// memory, kicks and interrupts are eventfds, and the device runs on its own thread
/// (<see cref="BalloonDeviceLoop"/>) started at DRIVER_OK. Config accesses call the device directly, the way a
/// trapped MMIO access reaches a VMM's device model.
/// </summary>
public sealed class InProcessTransport : IVirtioTransport, IDisposable
{
    private readonly BalloonDevice _device;
    private readonly EventFd?[] _kicks;
    private readonly ILogger? _logger;
    private BalloonDeviceLoop? _loop;

    /// <summary>Wraps <paramref name="device"/>, whose <see cref="BalloonDevice.Memory"/> must be set.</summary>
    public InProcessTransport(BalloonDevice device, int queueSize = 128, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Memory is null)
            throw new ArgumentException("the device needs guest memory first", nameof(device));
        if (!SplitRing.IsValidSize(queueSize))
            throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "queue size must be a power of two up to 32768");
        _device = device;
        _kicks = new EventFd?[device.QueueCount];
        QueueSize = queueSize;
        _logger = logger;
    }

    /// <summary>The queue size offered for every queue.</summary>
    public int QueueSize { get; }

    /// <inheritdoc />
    public ulong DeviceFeatures => _device.OfferedFeatures;

    /// <inheritdoc />
    public void SetDriverFeatures(ulong features) => _device.SetDriverFeatures(features);

    /// <inheritdoc />
    public int MaxQueueSize(int index) => index >= 0 && index < _device.QueueCount ? QueueSize : 0;

    /// <inheritdoc />
    public void SetupQueue(int index, int size, RingAddresses addresses, EventFd kick, EventFd call)
    {
        ArgumentNullException.ThrowIfNull(kick);
        var queue = new DeviceQueue(_device.Memory!, size, addresses, _device.NegotiatedFeatures) { Call = call };
        _device.AttachQueue(index, queue);
        _kicks[index] = kick;
    }

    /// <inheritdoc />
    public void DriverOk()
    {
        if (_loop is not null)
            throw new InvalidOperationException("DRIVER_OK was already set");
        // The queues the negotiated features have (VIRTIO 1.2 §5.5.2: numbered consecutively), not every offered one.
        var kicks = new EventFd[BalloonQueue.Count(_device.QueueLayoutFeatures)];
        for (var i = 0; i < kicks.Length; i++)
            kicks[i] = _kicks[i] ?? throw new InvalidOperationException($"queue {i} was not set up");
        _loop = new BalloonDeviceLoop(_device, kicks, _logger);
        // A driver may have queued buffers (the first stats buffer) before DRIVER_OK: look once.
        for (var i = 0; i < kicks.Length; i++)
            kicks[i].Signal();
    }

    /// <inheritdoc />
    public void ReadConfig(uint offset, Span<byte> data) => _device.ReadConfig(offset, data);

    /// <inheritdoc />
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data) => _device.WriteConfig(offset, data);

    /// <summary>Stops the device thread.</summary>
    public void Dispose()
    {
        _loop?.Dispose();
        _loop = null;
    }
}
