using Ballast.Linux;
using System.Buffers.Binary;
using Ballast.Virtio.Queue;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// The vring requests, and starting and stopping rings (vhost-user.rst "Ring states": "Each ring is initialized
/// in a stopped state. The back-end must start ring upon receiving a kick ... and stop ring upon receiving
/// VHOST_USER_GET_VRING_BASE").
/// </summary>
internal sealed partial class BackendConnection
{
    private string? CheckIndex(uint index) =>
        index < (uint)_rings.Length ? null : $"ring index {index} is beyond the device's {_rings.Length} queues";

    /// <summary>SET_VRING_NUM: the queue size, a power of two up to 32768 (VIRTIO 1.2 §2.7).</summary>
    private RequestResult SetVringNum(ReceivedMessage message)
    {
        if (ExpectSize(message, VringState.WireSize) is { } bad)
            return bad;
        var state = VringState.Read(message.Payload);
        if (CheckIndex(state.Index) is { } error)
            return RequestResult.Fail(error);
        if (state.Num > SplitRing.MaxSize || !SplitRing.IsValidSize((int)state.Num))
            return RequestResult.Fail($"queue size {state.Num} is not a power of two between 1 and {SplitRing.MaxSize}");
        var ring = _rings[state.Index];
        StopRing(ring);
        ring.Size = (int)state.Num;
        return Started(TryStart(ring));
    }

    /// <summary>
    /// SET_VRING_ADDR: the rings' addresses in the front-end's address space. Checked against the memory table now
    /// (and fully, once the size is known), so a bad address is refused by the request that carries it.
    /// </summary>
    private RequestResult SetVringAddr(ReceivedMessage message)
    {
        if (ExpectSize(message, VringAddress.WireSize) is { } bad)
            return bad;
        var address = VringAddress.Read(message.Payload);
        if (CheckIndex(address.Index) is { } error)
            return RequestResult.Fail(error);
        if ((address.Flags & ~VringAddress.FlagLog) != 0)
            return RequestResult.Fail($"vring address flags 0x{address.Flags:x} are unknown");
        if (_memory is null || _addressSpace is null)
            return RequestResult.Fail("ring addresses came before any memory table");
        var ring = _rings[address.Index];
        error = ring.Size > 0
            ? TranslateRing(ring.Size, address, out var addresses) ?? DeviceQueue.Validate(_memory, ring.Size, addresses)
            : TranslateRing(1, address, out _);
        if (error is not null)
            return RequestResult.Fail(error);
        StopRing(ring);
        ring.Address = address;
        return Started(TryStart(ring));
    }

    /// <summary>SET_VRING_BASE: where to start reading the available ring.</summary>
    private RequestResult SetVringBase(ReceivedMessage message)
    {
        if (ExpectSize(message, VringState.WireSize) is { } bad)
            return bad;
        var state = VringState.Read(message.Payload);
        if (CheckIndex(state.Index) is { } error)
            return RequestResult.Fail(error);
        if (state.Num > ushort.MaxValue)
            return RequestResult.Fail($"ring base {state.Num} does not fit the 16-bit ring index");
        var ring = _rings[state.Index];
        StopRing(ring);
        ring.NextAvail = (ushort)state.Num;
        return Started(TryStart(ring));
    }

    /// <summary>
    /// GET_VRING_BASE: stops the ring and replies {index, next available index}. The kick and call eventfds are
    /// closed; the front-end sends new ones when it starts the ring again.
    /// </summary>
    private RequestResult GetVringBase(ReceivedMessage message)
    {
        // The reply is the request's own: a malformed request ends the session.
        if (message.Payload.Length != VringState.WireSize)
            return RequestResult.Fatal($"payload of {message.Payload.Length} bytes where {VringState.WireSize} are expected");
        var state = VringState.Read(message.Payload);
        if (CheckIndex(state.Index) is { } error)
            return RequestResult.Fatal(error);
        var ring = _rings[state.Index];
        StopRing(ring);
        ring.Kick?.Dispose();
        ring.Kick = null;
        ring.Call?.Dispose();
        ring.Call = null;
        Span<byte> reply = stackalloc byte[VringState.WireSize];
        new VringState(state.Index, ring.NextAvail).Write(reply);
        QueueReply(MessageHeader.ForReply(message.Header.Request, VringState.WireSize), reply);
        return RequestResult.Replied;
    }

    /// <summary>
    /// SET_VRING_KICK / CALL / ERR: "Bits (0-7) of the payload contain the vring index. Bit 8 is the invalid FD
    /// flag. This flag is set when there is no file descriptor in the ancillary data." A descriptor must be an
    /// eventfd; it is made non-blocking on receipt.
    /// </summary>
    private RequestResult SetVringFile(FrontendRequest request, ReceivedMessage message)
    {
        if (ExpectSize(message, VhostUserMessage.U64Size) is { } bad)
            return bad;
        if (!VringFile.TryDecode(BinaryPrimitives.ReadUInt64LittleEndian(message.Payload), out var file))
            return RequestResult.Fail("bits above 8 are set in the vring descriptor payload");
        if (CheckIndex(file.Index) is { } error)
            return RequestResult.Fail(error);
        if (file.NoFd && message.Fds.Count != 0)
            return RequestResult.Fail("the no-descriptor flag is set but a descriptor came");
        if (!file.NoFd && message.Fds.Count != 1)
            return RequestResult.Fail($"expected one descriptor, got {message.Fds.Count}");
        if (!file.NoFd && !Descriptors.IsEventFd(message.Fds.Peek()[0]))
            return RequestResult.Fail("the descriptor is not an eventfd");
        // A blocking eventfd would let the front-end stop our thread: write(2) at a full counter, or read(2) of an
        // empty one, waits for it. Make it non-blocking now; EventFd also never writes or reads one that is not ready,
        // since the front-end can clear O_NONBLOCK again on its copy.
        if (!file.NoFd && Descriptors.SetNonBlocking(message.Fds.Peek()[0]) is not 0 and var errno)
            return RequestResult.Fail($"the eventfd cannot be made non-blocking (fcntl errno {errno})");
        var fd = file.NoFd ? null : new EventFd(message.Fds.Take(0), owned: true);
        var ring = _rings[file.Index];
        switch (request)
        {
            case FrontendRequest.SetVringKick:
                ring.Kick?.Dispose();
                ring.Kick = fd;
                if (fd is null)
                {
                    BackendLog.NoFdUnsupported(_logger, ring.Index, "kick");
                    StopRing(ring);
                    return RequestResult.Ok;
                }
                return Started(TryStart(ring));
            case FrontendRequest.SetVringCall:
                var oldCall = ring.Call;
                ring.Call = fd;
                if (ring.Active is not null)
                {
                    // The device reads Call under its lock and signals it after dropping the lock, also from other
                    // threads (RequestStatistics); EventFd counts references, so disposing the old one below closes
                    // it only after such a signal is done.
                    ring.Active.Call = fd;
                    _ = _device.GetQueue(ring.Index);
                }
                oldCall?.Dispose();
                return RequestResult.Ok;
            default:
                ring.Err?.Dispose();
                ring.Err = fd;
                return RequestResult.Ok;
        }
    }

    /// <summary>
    /// SET_VRING_ENABLE: "the ring is initialized in a disabled state and is enabled by SET_VRING_ENABLE with
    /// parameter 1". Enabling processes the ring once: the guest queues its first stats buffer and kicks before
    /// the ring is enabled, and QEMU swallows that kick.
    /// </summary>
    private RequestResult SetVringEnable(ReceivedMessage message)
    {
        if (ExpectSize(message, VringState.WireSize) is { } bad)
            return bad;
        var state = VringState.Read(message.Payload);
        if (CheckIndex(state.Index) is { } error)
            return RequestResult.Fail(error);
        if (state.Num > 1)
            return RequestResult.Fail($"enable value {state.Num} is neither 0 nor 1");
        var ring = _rings[state.Index];
        ring.Enabled = state.Num == 1;
        if (!ring.Enabled)
        {
            StopRing(ring);
            return RequestResult.Ok;
        }
        if (ring.Active is not null)
        {
            ProcessRing(ring);
            return RequestResult.Ok;
        }
        return Started(TryStart(ring));
    }

    private static RequestResult Started(string? startError) =>
        startError is null ? RequestResult.Ok : RequestResult.Fail(startError);

    /// <summary>
    /// Starts <paramref name="ring"/> if it has everything (size, addresses, kick, enabled, a memory table): the
    /// addresses are translated and validated, a <see cref="DeviceQueue"/> is attached and processed once.
    /// Returns why it cannot start, or null (started, or not ready yet).
    /// </summary>
    private string? TryStart(BackendRing ring)
    {
        if (ring.Active is not null || !ring.IsReady || _memory is null)
            return null;
        var error = TranslateRing(ring.Size, ring.Address!.Value, out var addresses)
            ?? DeviceQueue.Validate(_memory, ring.Size, addresses);
        if (error is not null)
        {
            if (ring.StartError != error)
                BackendLog.RingStartFailed(_logger, ring.Index, error);
            ring.StartError = error;
            return $"ring {ring.Index} cannot start: {error}";
        }
        ring.StartError = null;
        ring.ReportedBroken = false;
        var queue = new DeviceQueue(_memory, ring.Size, addresses, _device.NegotiatedFeatures, ring.NextAvail) { Call = ring.Call };
        _device.AttachQueue(ring.Index, queue);
        ring.Active = queue;
        BackendLog.RingStarted(_logger, ring.Index, ring.Size, addresses.DescriptorTable, addresses.AvailableRing, addresses.UsedRing, ring.NextAvail);
        ProcessRing(ring);
        return null;
    }

    /// <summary>
    /// Detaches the running queue and remembers where it stopped. Buffers the device still holds — the balloon
    /// keeps one stats buffer until it wants fresh numbers — are not consumed: the base is wound back over them, so
    /// a restarted ring hands them out again instead of losing them (and the guest's statistics with them).
    /// </summary>
    private void StopRing(BackendRing ring)
    {
        if (ring.Active is null)
            return;
        // One step under the device lock: the statistics poller may return the held buffer from another thread,
        // and reading the indices apart from the detach could wind back over a buffer already returned (the
        // guest would then get the same buffer twice).
        ring.NextAvail = _device.DetachQueue(ring.Index) ?? ring.NextAvail;
        ring.Active = null;
        ring.MoreAvailable = false;
        BackendLog.RingStopped(_logger, ring.Index, ring.NextAvail);
    }

    /// <summary>Starts every ring that is ready; returns the first failure.</summary>
    private RequestResult StartReadyRings()
    {
        string? first = null;
        foreach (var ring in _rings)
            first ??= TryStart(ring);
        return Started(first);
    }

    /// <summary>Rebuilds every running ring (new memory table or features), keeping its position.</summary>
    private RequestResult RestartRings()
    {
        foreach (var ring in _rings)
            StopRing(ring);
        return StartReadyRings();
    }

    /// <summary>Translates the three areas of a ring of <paramref name="size"/> from user to guest-physical addresses.</summary>
    private string? TranslateRing(int size, in VringAddress address, out RingAddresses addresses)
    {
        addresses = default;
        var space = _addressSpace!;
        if (!space.TryTranslate(address.DescriptorUserAddr, SplitRing.DescriptorTableBytes(size), out var desc))
            return $"descriptor table at user address 0x{address.DescriptorUserAddr:x} is not inside one memory region";
        if (!space.TryTranslate(address.AvailableUserAddr, SplitRing.AvailableRingBytes(size), out var avail))
            return $"available ring at user address 0x{address.AvailableUserAddr:x} is not inside one memory region";
        if (!space.TryTranslate(address.UsedUserAddr, SplitRing.UsedRingBytes(size), out var used))
            return $"used ring at user address 0x{address.UsedUserAddr:x} is not inside one memory region";
        addresses = new RingAddresses(desc, avail, used);
        return null;
    }
}
