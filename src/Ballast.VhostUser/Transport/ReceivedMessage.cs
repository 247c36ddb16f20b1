using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Transport;

/// <summary>One vhost-user message as read from a socket: header, payload, and the descriptors that came with it.</summary>
internal sealed class ReceivedMessage(MessageHeader header, byte[] payload, FdList fds) : IDisposable
{
    public MessageHeader Header { get; } = header;

    /// <summary>Exactly <see cref="MessageHeader.PayloadSize"/> bytes.</summary>
    public byte[] Payload { get; } = payload;

    /// <summary>Descriptors received with the message; those not taken are closed on <see cref="Dispose"/>.</summary>
    public FdList Fds { get; } = fds;

    /// <summary>Closes the descriptors nobody took.</summary>
    public void Dispose() => Fds.Dispose();
}
