using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Session;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// Replies, exactly once even across a SIGKILL. A request is handled with its reply queued, not sent; then its effect
/// and the reply, as owed, are kept (<see cref="KeepSession"/>), the request is taken off the socket, the reply is sent,
/// and the record marks it sent (<see cref="SessionRecord.MarkReplied"/>). A process killed at any step leaves the next
/// one either the request, whole, to handle (before the keep) or an owed reply to settle (<see cref="SettleOwedReply"/>).
/// Why it matters: vhost-user is request/reply in order on one socket (vhost-user.rst, "Communication"), and QEMU sends a
/// request that wants a reply (a GET_*, or any request with NEED_REPLY under REPLY_ACK) and reads the next message on the
/// socket as its reply before it sends anything else. One reply lost leaves it waiting; one reply sent twice pairs every
/// later reply with the wrong request (QEMU logs "Received unexpected msg type. Expected 24 received 25" and fails
/// SET_CONFIG with -71, and the guest no longer sees new targets) — what a worker killed between its reply and taking
/// the request off the socket did before this.
/// </summary>
internal sealed partial class BackendConnection
{
    private byte[]? _reply;         // queued by the request being handled
    private OwedReply? _owed;       // kept in the record until sent
    private ulong _replySequence;   // the session's last reply number, carried over a resume

    /// <summary>Queues the reply to the request being handled; a request has at most one.</summary>
    private void QueueReply(in MessageHeader header, ReadOnlySpan<byte> payload)
    {
        if (_reply is not null)
            throw new InvalidOperationException("a request was answered twice");
        var bytes = new byte[MessageHeader.WireSize + payload.Length];
        MessageChannel.Encode(header, payload, bytes);
        _reply = bytes;
    }

    /// <summary>The reply the request just handled queued, if any, now no longer queued (the event-loop thread only).</summary>
    private byte[]? TakeQueuedReply()
    {
        var reply = _reply;
        _reply = null;
        return reply;
    }

    private void QueueU64Reply(uint request, ulong value)
    {
        Span<byte> payload = stackalloc byte[VhostUserMessage.U64Size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload, value);
        QueueReply(MessageHeader.ForReply(request, VhostUserMessage.U64Size), payload);
    }

    /// <summary>
    /// After a request was handled: keeps the session (with the reply as owed), takes the request off the socket,
    /// sends the reply and marks it sent.
    /// </summary>
    private void KeepTakeOffAndAnswer(ReceivedMessage message)
    {
        var reply = TakeQueuedReply();
        if (reply is not null && _keeper is not null)
            _owed = new OwedReply(++_replySequence, OwedReply.Digest(message.Header, message.Payload), reply);
        KeepSession();
        _channel.Discard(message);
        if (reply is not null)
            SendOwed(reply);
    }

    /// <summary>Sends a reply queued by a request that ends the session (best effort: the session ends anyway).</summary>
    private void SendQueuedReplyQuietly()
    {
        if (TakeQueuedReply() is not { } reply)
            return;
        try
        {
            _channel.SendEncoded(reply);
        }
        catch (VhostUserException)
        {
            // The front-end is gone or not reading; the session ends either way.
        }
    }

    private void SendOwed(byte[] reply)
    {
        _channel.SendEncoded(reply);
        if (_owed is { } owed)
        {
            _keeper?.Record.MarkReplied(owed.Sequence);
            _owed = null;
        }
    }

    /// <summary>
    /// Takes over the reply a killed process owed (<paramref name="owed"/>, from its snapshot) unless the record marks it
    /// sent, and numbers the replies after it. Runs in <see cref="Resume"/> before the session is kept again.
    /// </summary>
    private void TakeOverOwedReply(OwedReply? owed)
    {
        var replied = _keeper?.Record.Replied ?? 0;
        _replySequence = Math.Max(owed?.Sequence ?? 0, replied);
        _owed = owed is not null && owed.Sequence > replied ? owed : null;
    }

    /// <summary>
    /// Settles the owed reply at the end of a resume: if the request it answers is still at the head of the socket, the
    /// process before was killed between keeping its effect and taking it off — take it off now and answer; if another
    /// request waits there, the front-end had the reply (it sends nothing else while waiting) — do not send it again;
    /// if nothing waits, the front-end is still waiting for it — send it. Returns why the session cannot go on, or null.
    /// </summary>
    /// <remarks>
    /// One case cannot be told apart: a process killed while its sendmsg of the reply was in the kernel (SIGKILL is acted
    /// on when the call returns) sent the reply but did not mark it; with nothing waiting, the reply goes out once more.
    /// The window is that one system call, a few microseconds per reply.
    /// </remarks>
    private string? SettleOwedReply()
    {
        if (_owed is not { } owed)
            return null;
        var name = RequestName(MessageHeader.Read(owed.Reply).Request);
        try
        {
            ReceivedMessage? head = null;
            if (_channel.Socket.Wait(Libc.POLLIN, 0, null) == UnixSocket.WaitResult.Ready)
                head = _channel.Receive(VhostUserMessage.MaxPayloadSize, firstByteTimeoutMs: 0, stop: null, peek: true);
            using (head)
            {
                if (head is not null && OwedReply.Digest(head.Header, head.Payload) != owed.RequestDigest)
                {
                    BackendLog.OwedReplyAlreadyDelivered(_logger, name);
                    _keeper?.Record.MarkReplied(owed.Sequence);
                    _owed = null;
                    return null;
                }
                if (head is not null)
                {
                    _channel.Discard(head);
                    BackendLog.OwedRequestTakenOff(_logger, name);
                }
                else
                    BackendLog.OwedReplySent(_logger, name);
                SendOwed(owed.Reply);
                return null;
            }
        }
        catch (VhostUserException e)
        {
            return $"the reply the process before owed cannot be settled: {e.Message}";
        }
    }
}
