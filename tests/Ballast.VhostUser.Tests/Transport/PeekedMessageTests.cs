using Ballast.Linux;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Transport;

/// <summary>
/// Messages read with <c>peek</c> (the back-end's way: a request leaves the socket only once handled, so a killed
/// worker leaves it whole for the next): each comes with exactly its own descriptors, however QEMU queued them.
/// </summary>
public sealed class PeekedMessageTests
{
    private static void Send(MessageChannel channel, FrontendRequest request, int payload, params int[] fds) =>
        channel.Send(MessageHeader.ForRequest((uint)request, (uint)payload), new byte[payload], fds);

    [Fact]
    public void MessageWithoutDescriptors_FollowedByOneWithThem_GetsNone_AndTheNextGetsItsOwn()
    {
        // QEMU writes SET_FEATURES and then SET_VRING_CALL before the back-end reads either. A peek that ends where the
        // second starts is handed the second's descriptors by Linux; they must not count as the first's.
        var (a, b) = UnixSocket.CreatePair();
        using var sender = new MessageChannel(a, 1000);
        using var receiver = new MessageChannel(b, 1000);
        using var call = new EventFd();
        using var err = new EventFd();
        Send(sender, FrontendRequest.SetFeatures, 8);
        Send(sender, FrontendRequest.SetVringCall, 8, call.Fd, err.Fd);

        using (var first = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null, peek: true)!)
        {
            Assert.Equal((uint)FrontendRequest.SetFeatures, first.Header.Request);
            Assert.Equal(0, first.Fds.Count);
            receiver.Discard(first);
        }
        using var second = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null, peek: true)!;
        Assert.Equal((uint)FrontendRequest.SetVringCall, second.Header.Request);
        Assert.Equal(2, second.Fds.Count);
        using var received = new EventFd(second.Fds.Take(0), owned: true);
        call.Signal();
        Assert.Equal(1UL, received.TryConsume());
    }

    [Fact]
    public void PeekedMessage_StaysInTheSocket_UntilDiscarded()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var sender = new MessageChannel(a, 1000);
        using var receiver = new MessageChannel(b, 1000);
        using var kick = new EventFd();
        Send(sender, FrontendRequest.SetVringKick, 8, kick.Fd);
        Send(sender, FrontendRequest.GetFeatures, 0);

        // Read twice (a worker killed after the first read leaves it to the next): the same message both times.
        for (var i = 0; i < 2; i++)
        {
            using var again = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null, peek: true)!;
            Assert.Equal((uint)FrontendRequest.SetVringKick, again.Header.Request);
            Assert.Equal(1, again.Fds.Count);
        }
        using (var kept = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null, peek: true)!)
            receiver.Discard(kept);
        using var next = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null, peek: true)!;
        Assert.Equal((uint)FrontendRequest.GetFeatures, next.Header.Request);
        Assert.Equal(0, next.Fds.Count);
    }

    [Fact]
    public void MessageSentInPieces_IsPeekedWhole_WithTheDescriptorsOfItsFirstPiece()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var sender = a;
        using var receiver = new MessageChannel(b, 2000);
        using var kick = new EventFd();
        using var other = new EventFd();
        Span<byte> message = stackalloc byte[MessageHeader.WireSize + 8];
        MessageHeader.ForRequest((uint)FrontendRequest.SetVringKick, 8).Write(message);
        sender.Send(message[..5], [kick.Fd], 1000);
        sender.Send(message[5..], [], 1000);
        // The next message, with descriptors of its own, already queued behind.
        Span<byte> next = stackalloc byte[MessageHeader.WireSize + 8];
        MessageHeader.ForRequest((uint)FrontendRequest.SetVringCall, 8).Write(next);
        sender.Send(next, [other.Fd], 1000);

        using var whole = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null, peek: true)!;
        Assert.Equal((uint)FrontendRequest.SetVringKick, whole.Header.Request);
        Assert.Equal(1, whole.Fds.Count);
    }
}
