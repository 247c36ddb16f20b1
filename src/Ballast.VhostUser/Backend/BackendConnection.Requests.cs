using System.Buffers.Binary;
using Ballast.Virtio;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Backend;

/// <summary>Dispatch, replies, and the requests that are not about rings or memory.</summary>
internal sealed partial class BackendConnection
{
    /// <summary>
    /// Checks the header, runs the request and queues its answer (<see cref="QueueReply"/>: sent once the request's
    /// effect is kept, see <c>BackendConnection.Replies.cs</c>). A NEED_REPLY request with no reply of its own gets u64 0
    /// on success and 1 on failure (vhost-user.rst "REPLY_ACK": "The payload should be set to zero on success or
    /// non-zero on failure"); a failure without NEED_REPLY ends the session, since the front-end would go on
    /// believing it succeeded. Returns why the session ends, or null.
    /// </summary>
    private string? Handle(ReceivedMessage message)
    {
        var header = message.Header;
        var name = RequestName(header.Request);
        BackendLog.Request(_logger, name, header.Flags, header.PayloadSize, message.Fds.Count);

        // "Lower 2 bits are the version (currently 0x01)"; a request is not a reply; no other bits are defined.
        if (header.Version != HeaderFlags.Version1 || header.IsReply || (header.Flags & ~HeaderFlags.KnownRequestBits) != 0)
        {
            var error = $"{name} has flags 0x{header.Flags:x}; a request must be version 1 without the reply bit";
            BackendLog.ProtocolViolation(_logger, error);
            return error;
        }

        var result = message.Fds.Count > 0 && !TakesDescriptors((FrontendRequest)header.Request)
            ? RequestResult.Fail($"{message.Fds.Count} unexpected descriptor(s) came with a request that takes none")
            : Dispatch((FrontendRequest)header.Request, message);

        switch (result.Outcome)
        {
            case RequestOutcome.Ok:
                if (header.NeedsReply)
                    QueueU64Reply(header.Request, 0);
                return null;
            case RequestOutcome.Replied:
                return null;
            case RequestOutcome.Failed when header.NeedsReply:
                BackendLog.RequestFailedReplied(_logger, name, result.Error!);
                QueueU64Reply(header.Request, 1);
                return null;
            case RequestOutcome.Failed:
                BackendLog.RequestFailedDisconnect(_logger, name, result.Error!);
                return $"{name} failed: {result.Error}";
            default:
                BackendLog.ProtocolViolation(_logger, $"{name}: {result.Error}");
                return $"{name}: {result.Error}";
        }
    }

    private RequestResult Dispatch(FrontendRequest request, ReceivedMessage message) => request switch
    {
        FrontendRequest.GetFeatures => ReplyU64(message, _device.OfferedFeatures | VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit)),
        FrontendRequest.SetFeatures => SetFeatures(message),
        FrontendRequest.GetProtocolFeatures => ReplyU64(message, ProtocolFeatures.BackendOffered),
        FrontendRequest.SetProtocolFeatures => SetProtocolFeatures(message),
        FrontendRequest.GetQueueNum => ReplyU64(message, (ulong)_device.QueueCount),
        FrontendRequest.SetOwner => ExpectEmpty(message) ?? RequestResult.Ok,
        FrontendRequest.ResetOwner or FrontendRequest.ResetDevice => ExpectEmpty(message) ?? ResetDevice(),
        FrontendRequest.SetMemTable => SetMemTable(message),
        FrontendRequest.SetVringNum => SetVringNum(message),
        FrontendRequest.SetVringAddr => SetVringAddr(message),
        FrontendRequest.SetVringBase => SetVringBase(message),
        FrontendRequest.GetVringBase => GetVringBase(message),
        FrontendRequest.SetVringKick or FrontendRequest.SetVringCall or FrontendRequest.SetVringErr => SetVringFile(request, message),
        FrontendRequest.SetVringEnable => SetVringEnable(message),
        FrontendRequest.SetBackendReqFd => SetBackendReqFd(message),
        FrontendRequest.GetConfig => GetConfig(message),
        FrontendRequest.SetConfig => SetConfig(message),
        _ => RequestResult.Fail("the request is not supported by this backend"),
    };

    /// <summary>Requests that carry descriptors in their ancillary data (vhost-user.rst "Communication").</summary>
    private static bool TakesDescriptors(FrontendRequest request) => request is FrontendRequest.SetMemTable
        or FrontendRequest.SetVringKick or FrontendRequest.SetVringCall or FrontendRequest.SetVringErr
        or FrontendRequest.SetBackendReqFd;

    private static string RequestName(uint request) =>
        Enum.IsDefined((FrontendRequest)request) ? ((FrontendRequest)request).ToString() : $"unknown request {request}";

    private static RequestResult? ExpectEmpty(ReceivedMessage message) => message.Payload.Length == 0
        ? null
        : RequestResult.Fail($"payload of {message.Payload.Length} bytes where none is expected");

    private static RequestResult? ExpectSize(ReceivedMessage message, int size) => message.Payload.Length == size
        ? null
        : RequestResult.Fail($"payload of {message.Payload.Length} bytes where {size} are expected");

    /// <summary>GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM: a request without payload, a u64 reply.</summary>
    private RequestResult ReplyU64(ReceivedMessage message, ulong value)
    {
        // The reply is the request's own, so an error cannot be told with a status: end the session.
        if (message.Payload.Length != 0)
            return RequestResult.Fatal($"payload of {message.Payload.Length} bytes where none is expected");
        QueueU64Reply(message.Header.Request, value);
        return RequestResult.Replied;
    }

    private static ulong ReadU64(ReceivedMessage message) => BinaryPrimitives.ReadUInt64LittleEndian(message.Payload);

    /// <summary>
    /// SET_FEATURES: the features the driver accepted, plus VHOST_USER_F_PROTOCOL_FEATURES. "If
    /// VHOST_USER_F_PROTOCOL_FEATURES has not been negotiated, the ring starts directly in the enabled state."
    /// </summary>
    private RequestResult SetFeatures(ReceivedMessage message)
    {
        if (ExpectSize(message, VhostUserMessage.U64Size) is { } bad)
            return bad;
        var features = ReadU64(message);
        var protocolBit = VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit);
        var unknown = features & ~(_device.OfferedFeatures | protocolBit);
        if (unknown != 0)
            BackendLog.FeaturesNotOffered(_logger, unknown);
        var before = _device.NegotiatedFeatures;
        _ackedFeatures = features;
        _device.SetDriverFeatures(features & ~protocolBit);
        if ((features & protocolBit) == 0)
        {
            foreach (var ring in _rings)
                ring.Enabled = true;
        }
        // Queues are built with the negotiated features (EVENT_IDX); rebuild running ones if those changed.
        return _device.NegotiatedFeatures != before ? RestartRings() : StartReadyRings();
    }

    /// <summary>SET_PROTOCOL_FEATURES: only bits we offered.</summary>
    private RequestResult SetProtocolFeatures(ReceivedMessage message)
    {
        if (ExpectSize(message, VhostUserMessage.U64Size) is { } bad)
            return bad;
        var features = ReadU64(message);
        var unknown = features & ~ProtocolFeatures.BackendOffered;
        if (unknown != 0)
            return RequestResult.Fail($"protocol features 0x{unknown:x} were not offered");
        Volatile.Write(ref _protocolFeatures, features);
        return RequestResult.Ok;
    }

    /// <summary>
    /// RESET_OWNER (deprecated: "use it to disable all rings") and RESET_DEVICE ("disable all rings and reset all
    /// internal device state to the initial state"): every ring stops and forgets its configuration, the device
    /// resets (the target survives); the memory table stays until the next one replaces it.
    /// </summary>
    private RequestResult ResetDevice()
    {
        foreach (var ring in _rings)
        {
            StopRing(ring);
            ring.Clear();
        }
        _device.Reset();
        return RequestResult.Ok;
    }

    /// <summary>
    /// SET_BACKEND_REQ_FD: the socket on which we send CONFIG_CHANGE_MSG. "If REPLY_ACK is negotiated, the back-end
    /// must respond with zero for success, non-zero otherwise."
    /// </summary>
    private RequestResult SetBackendReqFd(ReceivedMessage message)
    {
        if (ExpectEmpty(message) is { } bad)
            return bad;
        if (message.Fds.Count != 1)
            return RequestResult.Fail($"expected one descriptor, got {message.Fds.Count}");
        if (!Descriptors.IsSocket(message.Fds.Peek()[0]))
            return RequestResult.Fail("the backend-request descriptor is not a socket");
        var channel = new BackendRequestChannel(UnixSocket.FromDescriptor(message.Fds.Take(0)), _ioTimeoutMs, _logger);
        var old = Interlocked.Exchange(ref _backendChannel, channel);
        old?.Shutdown();
        old?.Dispose();
        return RequestResult.Ok;
    }

    /// <summary>
    /// GET_CONFIG: reads device config space. "vhost-user back-end's payload size MUST match the front-end's
    /// request, vhost-user back-end uses zero length of payload to indicate an error".
    /// </summary>
    private RequestResult GetConfig(ReceivedMessage message)
    {
        var error = CheckConfigAccess(message, out var config);
        if (error is not null)
        {
            BackendLog.GetConfigRefused(_logger, error);
            QueueReply(MessageHeader.ForReply(message.Header.Request, 0), []);
            return RequestResult.Replied;
        }
        Span<byte> reply = stackalloc byte[ConfigSpace.WireSize((int)config.Size)];
        config.Write(reply);
        _device.ReadConfig(config.Offset, reply[ConfigSpace.PayloadOffset..]);
        QueueReply(MessageHeader.ForReply(message.Header.Request, (uint)reply.Length), reply);
        return RequestResult.Replied;
    }

    /// <summary>
    /// SET_CONFIG: the guest wrote config space. Only <c>actual</c> is taken: QEMU sends the whole 8 bytes with a
    /// stale num_pages, and "back-ends MUST NOT accept SET_CONFIG for read-only configuration space fields".
    /// </summary>
    private RequestResult SetConfig(ReceivedMessage message)
    {
        if (CheckConfigAccess(message, out var config) is { } error)
            return RequestResult.Fail(error);
        _device.WriteConfig(config.Offset, message.Payload.AsSpan(ConfigSpace.PayloadOffset));
        return RequestResult.Ok;
    }

    private string? CheckConfigAccess(ReceivedMessage message, out ConfigSpace config)
    {
        if (ConfigSpace.TryRead(message.Payload, out config) is { } error)
            return error;
        if (config.Size == 0 || (ulong)config.Offset + config.Size > (ulong)_device.ConfigSize)
            return $"config access of {config.Size} bytes at offset {config.Offset} is outside the {_device.ConfigSize}-byte config space";
        return null;
    }
}
