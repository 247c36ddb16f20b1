using Ballast.Linux;
using System.Buffers.Binary;
using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.VhostUser.Frontend;

/// <summary>
/// The QEMU side of vhost-user in process: an <see cref="IVirtioTransport"/> for the simulated guest's driver that
/// relays feature negotiation, queue set-up, DRIVER_OK and config accesses to a vhost-user back-end over its socket,
/// in the order QEMU's generic vhost-user device uses. Guest memory is shared by descriptor (SET_MEM_TABLE), and the
/// driver's kick eventfds go to the back-end as they are — as KVM's ioeventfds would — so kicks and interrupts never
/// pass through this class.
/// </summary>
/// <remarks>
/// The constructor connects and performs the realize-time handshake: GET_FEATURES, GET_PROTOCOL_FEATURES,
/// SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_BACKEND_REQ_FD (a socketpair; a small thread answers the back-end's
/// requests and raises <see cref="ConfigChanged"/>), SET_OWNER, GET_FEATURES, SET_VRING_ERR per queue. Set-up
/// requests carry NEED_REPLY when REPLY_ACK is negotiated, so a back-end's refusal surfaces as a
/// <see cref="VhostUserException"/>. Requests are serialised; any thread may call.
/// </remarks>
public sealed partial class VhostUserFrontend : IVirtioTransport, IDisposable
{
    /// <summary>What the frontend can use: MQ, REPLY_ACK, BACKEND_REQ, CONFIG, RESET_DEVICE.</summary>
    public const ulong SupportedProtocolFeatures = ProtocolFeatures.BackendOffered;

    private readonly GuestMemory _memory;
    private readonly ILogger _logger;
    private readonly FrontendQueue?[] _queues;
    private readonly EventFd[] _errs;
    private readonly int _queueSize = 128;
    private readonly ushort[] _bases;
    private ulong _driverFeatures;
    private bool _started;
    private bool _disposed;

    /// <summary>Connects to the back-end at <paramref name="socketPath"/> and performs the handshake.</summary>
    /// <param name="socketPath">The back-end's socket.</param>
    /// <param name="memory">The guest's RAM; its regions' descriptors are sent at DRIVER_OK (not owned).</param>
    /// <param name="logger">Where the frontend logs.</param>
    /// <exception cref="VhostUserException">The back-end is not usable (no protocol features or no CONFIG) or failed.</exception>
    public VhostUserFrontend(string socketPath, GuestMemory memory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        _logger = logger ?? NullLogger.Instance;
        _channel = new MessageChannel(UnixSocket.Connect(socketPath), TimeoutMs);
        try
        {
            var features = GetU64(FrontendRequest.GetFeatures);
            if (!VirtioFeatures.Has(features, ProtocolFeatures.VhostUserFeatureBit))
                throw new VhostUserException("the back-end does not offer VHOST_USER_F_PROTOCOL_FEATURES");
            BackendFeatures = features;
            var offered = GetU64(FrontendRequest.GetProtocolFeatures);
            NegotiatedProtocolFeatures = offered & SupportedProtocolFeatures;
            if (!ProtocolFeatures.Has(NegotiatedProtocolFeatures, ProtocolFeatures.Config))
                throw new VhostUserException("the back-end does not offer VHOST_USER_PROTOCOL_F_CONFIG (QEMU's generic device requires it)");
            SendU64(FrontendRequest.SetProtocolFeatures, NegotiatedProtocolFeatures, ack: false);
            // Without MQ the queue count is device knowledge the front-end would need to be told (QEMU's generic
            // device takes it as num_vqs); every Ballast back-end offers MQ, so this front-end asks for it.
            if (!ProtocolFeatures.Has(NegotiatedProtocolFeatures, ProtocolFeatures.Mq))
                throw new VhostUserException("the back-end does not offer VHOST_USER_PROTOCOL_F_MQ, so it cannot say how many queues it has");
            QueueCount = checked((int)GetU64(FrontendRequest.GetQueueNum));
            if (QueueCount is < 1 or > 256)
                throw new VhostUserException($"the back-end reports {QueueCount} queues");
            if (ProtocolFeatures.Has(NegotiatedProtocolFeatures, ProtocolFeatures.BackendReq))
                StartBackendChannel();
            SendU64(FrontendRequest.SetOwner, null, ack: false);
            if (GetU64(FrontendRequest.GetFeatures) != features)
                throw new VhostUserException("the back-end's features changed during the handshake");
            _queues = new FrontendQueue?[QueueCount];
            _bases = new ushort[QueueCount];
            _errs = new EventFd[QueueCount];
            for (var i = 0; i < QueueCount; i++)
            {
                _errs[i] = new EventFd();
                SendVringFile(FrontendRequest.SetVringErr, i, _errs[i]);
            }
            StartBackendThread();
            FrontendLog.Connected(_logger, socketPath, DeviceFeatures, NegotiatedProtocolFeatures, QueueCount);
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>Queue size offered to the driver for every queue (QEMU's virtio-balloon uses 128; a power of two ≤ 32768).</summary>
    public int QueueSize
    {
        get => _queueSize;
        init
        {
            if (!SplitRing.IsValidSize(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "a power of two between 1 and 32768");
            _queueSize = value;
        }
    }

    /// <summary>GET_FEATURES as the back-end answered it, VHOST_USER_F_PROTOCOL_FEATURES included.</summary>
    public ulong BackendFeatures { get; }

    /// <summary>The protocol features both sides use.</summary>
    public ulong NegotiatedProtocolFeatures { get; }

    /// <summary>GET_QUEUE_NUM.</summary>
    public int QueueCount { get; }

    /// <summary>Raised when the back-end sends CONFIG_CHANGE_MSG (the guest's config interrupt), on the frontend's thread.</summary>
    public event Action? ConfigChanged;

    /// <summary>Raised when the back-end signals a queue's error eventfd (SET_VRING_ERR), with the queue index.</summary>
    public event Action<int>? QueueError;

    /// <summary>CONFIG_CHANGE_MSG requests received.</summary>
    public long ConfigChangeCount => Interlocked.Read(ref _configChanges);

    /// <inheritdoc />
    public ulong DeviceFeatures => BackendFeatures & ~VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit);

    /// <inheritdoc />
    /// <remarks>SET_FEATURES, with VHOST_USER_F_PROTOCOL_FEATURES added as QEMU does (rings then start disabled).</remarks>
    public void SetDriverFeatures(ulong features)
    {
        ThrowIfDisposed();
        _driverFeatures = features;
        SendU64(FrontendRequest.SetFeatures, features | VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit), ack: true);
    }

    /// <inheritdoc />
    public int MaxQueueSize(int index) => index >= 0 && index < QueueCount ? QueueSize : 0;

    /// <inheritdoc />
    /// <remarks>Recorded only; the back-end learns about the queue at <see cref="DriverOk"/>.</remarks>
    public void SetupQueue(int index, int size, RingAddresses addresses, EventFd kick, EventFd call)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(kick);
        ArgumentNullException.ThrowIfNull(call);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, QueueCount);
        if (!SplitRing.IsValidSize(size) || size > QueueSize)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a power of two up to {QueueSize}");
        if (_started)
            throw new InvalidOperationException("the device is already started");
        _queues[index] = new FrontendQueue(index, size, addresses, kick, call);
    }

    /// <inheritdoc />
    /// <remarks>
    /// vhost_dev_start as QEMU does it: SET_MEM_TABLE with every region of guest memory (its descriptor, mmap offset
    /// and our mapping's address as userspace_addr), then per queue SET_VRING_NUM, SET_VRING_BASE (0, or where
    /// <see cref="Stop"/> found the ring), SET_VRING_ADDR (our host addresses of the rings), SET_VRING_KICK,
    /// SET_VRING_CALL, and finally SET_VRING_ENABLE 1 per queue. After <see cref="Stop"/> it starts the device again.
    /// </remarks>
    public void DriverOk()
    {
        ThrowIfDisposed();
        if (_started)
            throw new InvalidOperationException("DRIVER_OK was already set");
        SendMemTable();
        foreach (var queue in _queues)
        {
            if (queue is null)
                continue;
            SendVringState(FrontendRequest.SetVringNum, queue.Index, (uint)queue.Size);
            SendVringState(FrontendRequest.SetVringBase, queue.Index, _bases[queue.Index]);
            SendVringAddr(queue);
            SendVringFile(FrontendRequest.SetVringKick, queue.Index, queue.Kick);
            SendVringFile(FrontendRequest.SetVringCall, queue.Index, queue.Call);
        }
        foreach (var queue in _queues)
        {
            if (queue is not null)
                SendVringState(FrontendRequest.SetVringEnable, queue.Index, 1);
        }
        _started = true;
    }

    /// <inheritdoc />
    /// <remarks>GET_CONFIG; the back-end answers with the bytes, or with an empty payload for an error.</remarks>
    public void ReadConfig(uint offset, Span<byte> data)
    {
        ThrowIfDisposed();
        if (data.Length is 0 or > ConfigSpace.MaxSize)
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, $"1 to {ConfigSpace.MaxSize} bytes");
        Span<byte> request = stackalloc byte[ConfigSpace.WireSize(data.Length)];
        request.Clear();
        new ConfigSpace(offset, (uint)data.Length, ConfigSpace.FlagFrontend).Write(request);
        var reply = Call(FrontendRequest.GetConfig, request);
        if (reply.Length == 0)
            throw new VhostUserException($"the back-end refused GET_CONFIG of {data.Length} bytes at offset {offset}");
        if (reply.Length != request.Length)
            throw new VhostUserException($"GET_CONFIG reply of {reply.Length} bytes; expected {request.Length}");
        reply.AsSpan(ConfigSpace.PayloadOffset).CopyTo(data);
    }

    /// <inheritdoc />
    /// <remarks>SET_CONFIG (flags 0: a guest write), acknowledged with REPLY_ACK.</remarks>
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        ThrowIfDisposed();
        if (data.Length is 0 or > ConfigSpace.MaxSize)
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, $"1 to {ConfigSpace.MaxSize} bytes");
        Span<byte> request = stackalloc byte[ConfigSpace.WireSize(data.Length)];
        new ConfigSpace(offset, (uint)data.Length, ConfigSpace.FlagFrontend).Write(request);
        data.CopyTo(request[ConfigSpace.PayloadOffset..]);
        Send(FrontendRequest.SetConfig, request, [], ack: true);
    }

    /// <summary>
    /// GET_VRING_BASE: the back-end stops queue <paramref name="index"/> and reports its next available index,
    /// which the next <see cref="DriverOk"/> sends back with SET_VRING_BASE.
    /// </summary>
    public ushort GetVringBase(int index)
    {
        ThrowIfDisposed();
        Span<byte> request = stackalloc byte[VringState.WireSize];
        new VringState((uint)index, 0).Write(request);
        var reply = Call(FrontendRequest.GetVringBase, request);
        if (reply.Length != VringState.WireSize)
            throw new VhostUserException($"GET_VRING_BASE reply of {reply.Length} bytes");
        var state = VringState.Read(reply);
        if (state.Index != (uint)index || state.Num > ushort.MaxValue)
            throw new VhostUserException($"GET_VRING_BASE reply {state} for queue {index}");
        _bases[index] = (ushort)state.Num;
        return (ushort)state.Num;
    }

    /// <summary>
    /// vhost_dev_stop as QEMU does it (VM stop, shutdown): SET_VRING_ENABLE 0 then GET_VRING_BASE for every started
    /// queue; <see cref="DriverOk"/> starts the device again from there. Called by <see cref="Dispose"/>; failures
    /// there are logged, here they throw.
    /// </summary>
    public void Stop()
    {
        ThrowIfDisposed();
        if (!_started)
            return;
        _started = false;
        foreach (var queue in _queues)
        {
            if (queue is not null)
                SendVringState(FrontendRequest.SetVringEnable, queue.Index, 0);
        }
        foreach (var queue in _queues)
        {
            if (queue is not null)
                GetVringBase(queue.Index);
        }
    }

    internal void SendMemTable()
    {
        var regions = _memory.Regions;
        if (regions.Count > MemoryTable.MaxRegions)
            throw new InvalidOperationException($"guest memory has {regions.Count} regions; SET_MEM_TABLE carries at most {MemoryTable.MaxRegions}");
        var descriptions = new MemoryRegionDescription[regions.Count];
        var fds = new int[regions.Count];
        for (var i = 0; i < regions.Count; i++)
        {
            var r = regions[i];
            descriptions[i] = new MemoryRegionDescription(r.GuestPhysAddr, r.Size, (ulong)r.HostAddress, r.FdOffset);
            fds[i] = r.Fd;
        }
        var payload = new byte[MemoryTable.WireSize(regions.Count)];
        MemoryTable.Write(payload, descriptions);
        Send(FrontendRequest.SetMemTable, payload, fds, ack: true);
    }

    private void SendVringAddr(FrontendQueue queue)
    {
        var desc = HostAddress(queue.Addresses.DescriptorTable, SplitRing.DescriptorTableBytes(queue.Size));
        var avail = HostAddress(queue.Addresses.AvailableRing, SplitRing.AvailableRingBytes(queue.Size));
        var used = HostAddress(queue.Addresses.UsedRing, SplitRing.UsedRingBytes(queue.Size));
        Span<byte> payload = stackalloc byte[VringAddress.WireSize];
        new VringAddress((uint)queue.Index, 0, desc, used, avail, 0).Write(payload);
        Send(FrontendRequest.SetVringAddr, payload, [], ack: true);
    }

    private ulong HostAddress(ulong gpa, ulong length) => _memory.TryGetHostAddress(gpa, length, out var host)
        ? (ulong)host
        : throw new ArgumentException($"ring area at 0x{gpa:x}+0x{length:x} is not inside one guest memory region");

    internal void SendVringState(FrontendRequest request, int index, uint num)
    {
        Span<byte> payload = stackalloc byte[VringState.WireSize];
        new VringState((uint)index, num).Write(payload);
        Send(request, payload, [], ack: true);
    }

    private void SendVringFile(FrontendRequest request, int index, EventFd fd)
    {
        Span<byte> payload = stackalloc byte[VhostUserMessage.U64Size];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, new VringFile((uint)index, NoFd: false).Encode());
        Send(request, payload, [fd.Fd], ack: true);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Stops the device (SET_VRING_ENABLE 0, GET_VRING_BASE), closes the connection and the backend-request thread.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        try
        {
            Stop();
        }
        catch (Exception e) when (e is VhostUserException or SyscallException)
        {
            FrontendLog.StopFailed(_logger, e.Message);
        }
        _disposed = true;
        Close();
    }

    /// <summary>Drops the connection without stopping the device, as a crashing QEMU would (tests).</summary>
    internal void Abort()
    {
        if (_disposed)
            return;
        _disposed = true;
        Close();
    }
}
