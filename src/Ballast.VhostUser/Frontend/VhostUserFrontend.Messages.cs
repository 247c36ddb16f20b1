using System.Buffers.Binary;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Frontend;

/// <summary>Requests and replies on the main socket.</summary>
public sealed partial class VhostUserFrontend
{
    /// <summary>How long to wait for a reply before declaring the back-end dead.</summary>
    private const int TimeoutMs = 10_000;

    private readonly Lock _lock = new();
    private readonly MessageChannel _channel;

    private bool ReplyAck => ProtocolFeatures.Has(NegotiatedProtocolFeatures, ProtocolFeatures.ReplyAck);

    /// <summary>
    /// Sends a request that has no reply of its own. With <paramref name="ack"/> and REPLY_ACK negotiated it carries
    /// NEED_REPLY, and a non-zero status throws.
    /// </summary>
    internal void Send(FrontendRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, bool ack)
    {
        var needReply = ack && ReplyAck;
        lock (_lock)
        {
            _channel.Send(MessageHeader.ForRequest((uint)request, (uint)payload.Length, needReply), payload, fds);
            if (!needReply)
                return;
            var reply = ReceiveReply(request);
            if (reply.Length != VhostUserMessage.U64Size)
                throw new VhostUserException($"{request}: REPLY_ACK of {reply.Length} bytes");
            var status = BinaryPrimitives.ReadUInt64LittleEndian(reply);
            if (status != 0)
                throw new VhostUserException($"the back-end refused {request} (status {status})");
        }
    }

    private void SendU64(FrontendRequest request, ulong? value, bool ack)
    {
        Span<byte> payload = stackalloc byte[VhostUserMessage.U64Size];
        if (value is { } v)
            BinaryPrimitives.WriteUInt64LittleEndian(payload, v);
        Send(request, value is null ? [] : payload, [], ack);
    }

    /// <summary>Sends a request whose reply carries data, and returns that payload.</summary>
    private byte[] Call(FrontendRequest request, ReadOnlySpan<byte> payload)
    {
        lock (_lock)
        {
            _channel.Send(MessageHeader.ForRequest((uint)request, (uint)payload.Length), payload);
            return ReceiveReply(request);
        }
    }

    private ulong GetU64(FrontendRequest request)
    {
        var reply = Call(request, []);
        if (reply.Length != VhostUserMessage.U64Size)
            throw new VhostUserException($"{request}: reply of {reply.Length} bytes, expected {VhostUserMessage.U64Size}");
        return BinaryPrimitives.ReadUInt64LittleEndian(reply);
    }

    /// <summary>Reads the reply to <paramref name="request"/>: same request code, flags exactly 0x5 (QEMU: EPROTO otherwise), no descriptors.</summary>
    private byte[] ReceiveReply(FrontendRequest request)
    {
        using var reply = _channel.Receive(VhostUserMessage.MaxPayloadSize, TimeoutMs, stop: null)
            ?? throw new VhostUserException($"the back-end closed the connection instead of answering {request}");
        if (reply.Header.Request != (uint)request)
            throw new VhostUserException($"reply to {request} names request {reply.Header.Request}");
        if (reply.Header.Flags != HeaderFlags.ReplyFlags)
            throw new VhostUserException($"reply to {request} has flags 0x{reply.Header.Flags:x}, expected 0x{HeaderFlags.ReplyFlags:x}");
        if (reply.Fds.Count != 0)
            throw new VhostUserException($"reply to {request} came with {reply.Fds.Count} descriptors");
        return reply.Payload;
    }

    /// <summary>Closes everything: the backend-request thread and channel, the socket, the error eventfds.</summary>
    private void Close()
    {
        _backendStop.Signal();
        // A ConfigChanged/QueueError handler may dispose the frontend from the thread itself.
        if (_backendThread is not null && _backendThread.ManagedThreadId != Environment.CurrentManagedThreadId)
            _backendThread.Join();
        _backendChannel?.Dispose();
        _channel?.Dispose();
        if (_errs is not null)
        {
            foreach (var err in _errs)
                err?.Dispose();
        }
        _backendStop.Dispose();
    }
}
