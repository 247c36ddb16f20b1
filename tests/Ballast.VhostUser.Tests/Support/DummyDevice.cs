using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// The smallest <see cref="IVirtioDevice"/>: one queue whose buffers it returns unread, a 4-byte config space the
/// driver may write, one made-up feature. It shows the back-end serves any device, not only the balloon.
/// </summary>
internal sealed class DummyDevice : IVirtioDevice
{
    public const int FeatureBit = 3;

    private readonly Lock _lock = new();
    private readonly byte[] _config = [0xde, 0xad, 0xbe, 0xef];
    private DeviceQueue? _queue;
    private ulong _negotiated;

    public ulong OfferedFeatures => VirtioFeatures.Bit(FeatureBit) | VirtioFeatures.Bit(VirtioFeatures.Version1);

    public ulong NegotiatedFeatures => Volatile.Read(ref _negotiated);

    public int QueueCount => 1;

    public int ConfigSize => _config.Length;

    public GuestMemory? Memory { get; set; }

    public int Returned { get; private set; }

    public int Resets { get; private set; }

    public event Action? ConfigChanged;

    public void SetDriverFeatures(ulong driverFeatures) => Volatile.Write(ref _negotiated, driverFeatures & OfferedFeatures);

    public void AttachQueue(int index, DeviceQueue? queue)
    {
        lock (_lock)
            _queue = queue;
    }

    public ushort? DetachQueue(int index)
    {
        lock (_lock)
        {
            var position = _queue?.NextAvail;
            _queue = null;
            return position;
        }
    }

    public DeviceQueue? GetQueue(int index) => _queue;

    public QueueProgress ProcessQueue(int index, int maxChains)
    {
        Span<Descriptor> descriptors = stackalloc Descriptor[16];
        lock (_lock)
        {
            if (_queue is null)
                return QueueProgress.Idle;
            var progress = QueueProgress.MoreAvailable;
            for (var i = 0; i < maxChains && progress == QueueProgress.MoreAvailable; i++)
            {
                switch (_queue.TryPop(descriptors, out var chain))
                {
                    case PopResult.Empty:
                        progress = QueueProgress.Idle;
                        break;
                    case PopResult.Broken:
                        return QueueProgress.Broken;
                    default:
                        _queue.PushUsed(chain.Head, 0);
                        Returned++;
                        break;
                }
            }
            _queue.NotifyIfNeeded();
            return progress;
        }
    }

    public void ReadConfig(uint offset, Span<byte> data) => _config.AsSpan((int)offset, data.Length).CopyTo(data);

    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        data.CopyTo(_config.AsSpan((int)offset));
        ConfigChanged?.Invoke();
    }

    public void Reset()
    {
        lock (_lock)
        {
            _queue = null;
            _negotiated = 0;
            Resets++;
        }
    }
}
