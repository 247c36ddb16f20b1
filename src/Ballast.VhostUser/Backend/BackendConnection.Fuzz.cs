using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// The fuzzing seam (<c>fuzz/Ballast.Fuzz</c>, target <c>vhost-user</c>): a connection whose event loop never
/// starts. The harness parses messages from the fuzzer's bytes itself and hands each one in as the event loop
/// would after receiving it, kicks rings as a readable kick eventfd would, and ends the session as the loop does
/// when it returns — all on the calling thread, with no socket on the receiving side. Replies still go out
/// through the connection's socket; the harness drains the other end and checks them.
/// </summary>
internal sealed partial class BackendConnection
{
    /// <summary>
    /// Handles one message exactly as <see cref="ReceiveAndHandle"/> does once it has read it. Takes ownership of
    /// <paramref name="fds"/> (those the request does not take are closed). Returns why the session ends, or null.
    /// </summary>
    internal string? HandleForFuzzing(MessageHeader header, byte[] payload, FdList fds)
    {
        using var message = new ReceivedMessage(header, payload, fds);
        try
        {
            var end = Handle(message);
            if (TakeQueuedReply() is { } reply)
                _channel.SendEncoded(reply);
            return end;
        }
        catch (VhostUserException e)
        {
            return $"the front-end stopped listening: {e.Message}";
        }
    }

    /// <summary>
    /// A readable kick eventfd on ring <paramref name="index"/>, as <see cref="Serve"/> polls them (started rings only),
    /// followed by the passes the loop would give the ring without a kick while it has buffers left — with nobody
    /// publishing meanwhile that work is finite, so a ring that never runs dry is a hang afl reports.
    /// </summary>
    internal void KickForFuzzing(int index)
    {
        if ((uint)index >= (uint)_rings.Length || _rings[index].Active is null || _rings[index].Kick is null)
            return;
        var ring = _rings[index];
        OnKick(ring);
        while (ring.MoreAvailable)
            ProcessRing(ring);
    }

    /// <summary>Ends the session as the event loop does when <see cref="Serve"/> returns: every ring stops, memory is unmapped, every descriptor closed.</summary>
    internal void EndForFuzzing() => Cleanup();
}
