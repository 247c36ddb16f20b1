using Ballast.Linux.Interop;
using Ballast.Linux;
using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Transport;

/// <summary>
/// Whole vhost-user messages over a <see cref="UnixSocket"/>: a 12-byte header, then exactly <c>size</c> bytes of
/// payload, with the descriptors that came along (vhost-user.rst "Message Specification"). Used by both sides:
/// the backend's connection and backend-request channel, and the frontend.
/// </summary>
internal sealed class MessageChannel : IDisposable
{
    private readonly int _ioTimeoutMs;

    /// <summary>Wraps <paramref name="socket"/> (owned).</summary>
    /// <param name="socket">A connected socket.</param>
    /// <param name="ioTimeoutMs">How long a started message may take to arrive completely (one deadline for header and
    /// payload, however they are split), and a send may take; -1 forever.</param>
    public MessageChannel(UnixSocket socket, int ioTimeoutMs)
    {
        Socket = socket;
        _ioTimeoutMs = ioTimeoutMs;
    }

    /// <summary>The socket.</summary>
    public UnixSocket Socket { get; }

    /// <summary>
    /// Reads one message. Returns null if the peer closed the connection at a message boundary. Once the message
    /// starts, it has the io time-out to arrive completely, and it may carry at most
    /// <see cref="VhostUserMessage.MaxFds"/> descriptors in all, however the peer splits it.
    /// </summary>
    /// <param name="maxPayload">Larger payloads are a protocol violation (the stream cannot be trusted to resync).</param>
    /// <param name="firstByteTimeoutMs">How long to wait for the message to start; -1 forever.</param>
    /// <param name="stop">Ends a wait early with <see cref="OperationCanceledException"/>.</param>
    /// <param name="peek">
    /// Read the message without taking it off the socket (<see cref="UnixSocket.ReceiveExact"/>); take it off with
    /// <see cref="Discard"/> once it is handled. A process killed in between leaves the whole message for the next one.
    /// </param>
    /// <exception cref="VhostUserException">A truncated or oversized message, a time-out, or a socket error.</exception>
    public ReceivedMessage? Receive(int maxPayload, int firstByteTimeoutMs, EventFd? stop, bool peek = false)
    {
        var fds = new FdList();
        try
        {
            Span<byte> head = stackalloc byte[MessageHeader.WireSize];
            if (firstByteTimeoutMs != 0)
            {
                switch (Socket.Wait(Libc.POLLIN, firstByteTimeoutMs, stop))
                {
                    case UnixSocket.WaitResult.Stopped:
                        throw new OperationCanceledException("stopped while waiting for a message");
                    case UnixSocket.WaitResult.TimedOut:
                        throw new VhostUserException($"no message from the peer within {firstByteTimeoutMs} ms");
                }
            }
            var deadline = Deadline.After(_ioTimeoutMs);
            if (peek)
                Socket.ResetPeekOffset();
            if (!(peek ? Socket.PeekExact(head, fds, eofAllowed: true, deadline, VhostUserMessage.MaxFds, stop)
                    : Socket.ReceiveExact(head, fds, eofAllowed: true, deadline, VhostUserMessage.MaxFds, stop)))
            {
                fds.Dispose();
                return null;
            }
            var header = MessageHeader.Read(head);
            if (header.PayloadSize > (uint)maxPayload)
                throw new VhostUserException($"request {header.Request} announces a {header.PayloadSize}-byte payload; at most {maxPayload} are allowed");
            var payload = header.PayloadSize == 0 ? [] : new byte[header.PayloadSize];
            if (peek)
            {
                // Every peek that touches a piece of the stream hands out that piece's descriptors again, and a peek
                // that ends where the next message starts hands out the next message's too: read the whole message
                // once more from its first byte with PeekExact, which tells them apart.
                fds.Dispose();
                fds = new FdList();
                Socket.ResetPeekOffset();
                var whole = new byte[MessageHeader.WireSize + payload.Length];
                Socket.PeekExact(whole, fds, eofAllowed: false, deadline, VhostUserMessage.MaxFds, stop);
                whole.AsSpan(MessageHeader.WireSize).CopyTo(payload);
                return new ReceivedMessage(header, payload, fds);
            }
            Socket.ReceiveExact(payload, fds, eofAllowed: false, deadline, VhostUserMessage.MaxFds, stop);
            return new ReceivedMessage(header, payload, fds);
        }
        catch
        {
            fds.Dispose();
            throw;
        }
    }

    /// <summary>Takes a message read with <c>peek</c> off the socket.</summary>
    public void Discard(ReceivedMessage message) => Socket.Discard(MessageHeader.WireSize + message.Payload.Length);

    /// <summary>Sends one message: header, payload and descriptors in one sendmsg.</summary>
    public void Send(in MessageHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        Span<byte> buffer = stackalloc byte[MessageHeader.WireSize + payload.Length];
        Encode(header, payload, buffer);
        Socket.Send(buffer, fds, _ioTimeoutMs);
    }

    /// <summary>
    /// Writes one message — <paramref name="header"/>, then <paramref name="payload"/> — into
    /// <paramref name="destination"/>, which is exactly <see cref="MessageHeader.WireSize"/> + payload bytes long.
    /// </summary>
    public static void Encode(in MessageHeader header, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (header.PayloadSize != (uint)payload.Length)
            throw new ArgumentException($"header size {header.PayloadSize} does not match the {payload.Length}-byte payload", nameof(header));
        header.Write(destination);
        payload.CopyTo(destination[MessageHeader.WireSize..]);
    }

    /// <summary>Sends one message already encoded (header and payload, no descriptors) in one sendmsg.</summary>
    public void SendEncoded(ReadOnlySpan<byte> message)
    {
        if (message.Length < MessageHeader.WireSize || MessageHeader.Read(message).PayloadSize != (uint)(message.Length - MessageHeader.WireSize))
            throw new ArgumentException($"{message.Length} bytes are not one whole message", nameof(message));
        Socket.Send(message, default, _ioTimeoutMs);
    }

    /// <summary>Sends a reply with a u64 payload (flags 0x5).</summary>
    public void SendU64Reply(uint request, ulong value)
    {
        Span<byte> payload = stackalloc byte[VhostUserMessage.U64Size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload, value);
        Send(MessageHeader.ForReply(request, VhostUserMessage.U64Size), payload);
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => Socket.Dispose();
}
