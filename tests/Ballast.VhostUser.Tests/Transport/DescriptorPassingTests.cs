using Ballast.Linux;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Transport;

/// <summary>SCM_RIGHTS over <see cref="UnixSocket"/>: descriptors arrive, are CLOEXEC, and unused ones are closed.</summary>
public sealed class DescriptorPassingTests
{
    [Fact]
    public void Descriptors_ArriveWithTheMessage_AndAreCloexec()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var sender = new MessageChannel(a, 1000);
        using var receiver = new MessageChannel(b, 1000);
        using var kick = new EventFd();

        sender.Send(MessageHeader.ForRequest((uint)FrontendRequest.SetVringKick, 8), new byte[8], [kick.Fd]);
        using var message = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null)!;

        Assert.Equal(1, message.Fds.Count);
        var fd = message.Fds.Peek()[0];
        Assert.NotEqual(kick.Fd, fd);
        Assert.Equal(Libc.FD_CLOEXEC, Libc.fcntl(fd, Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
        using var received = new EventFd(message.Fds.Take(0), owned: true);
        kick.Signal();
        Assert.Equal(1UL, received.TryConsume());
    }

    [Fact]
    public void UntakenDescriptors_AreClosedWithTheMessage()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var sender = new MessageChannel(a, 1000);
        using var receiver = new MessageChannel(b, 1000);
        var (read, write) = TestFds.Pipe();
        TestFds.Close(write);
        var target = TestFds.Target(read);

        sender.Send(MessageHeader.ForRequest((uint)FrontendRequest.SetOwner, 0), [], [read, read, read]);
        var message = receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null)!;
        Assert.Equal(4, TestFds.CountOpen(target));
        message.Dispose();

        Assert.Equal(1, TestFds.CountOpen(target));
        TestFds.Close(read);
    }

    [Fact]
    public void TooManyDescriptors_FailTheMessage_AndAllAreClosed()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var sender = new MessageChannel(a, 1000);
        using var receiver = new MessageChannel(b, 1000);
        var (read, write) = TestFds.Pipe();
        TestFds.Close(write);
        var target = TestFds.Target(read);

        sender.Send(MessageHeader.ForRequest((uint)FrontendRequest.SetOwner, 0), [], Enumerable.Repeat(read, 40).ToArray());

        Assert.Throws<VhostUserException>(() => receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null));
        Assert.Equal(1, TestFds.CountOpen(target));
        TestFds.Close(read);
    }

    [Fact]
    public void Receive_ReturnsNullAtAnOrderlyClose_AndThrowsOnATruncatedMessage()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var receiver = new MessageChannel(b, 1000);
        a.Dispose();
        Assert.Null(receiver.Receive(VhostUserMessage.MaxPayloadSize, 1000, null));

        var (c, d) = UnixSocket.CreatePair();
        using var receiver2 = new MessageChannel(d, 1000);
        c.Send(new byte[6], [], 1000);
        c.Dispose();
        Assert.Throws<VhostUserException>(() => receiver2.Receive(VhostUserMessage.MaxPayloadSize, 1000, null));
    }

    [Fact]
    public void Receive_TimesOutOnSilence_AndStopsOnTheStopEventfd()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var sender = a;
        using var receiver = new MessageChannel(b, 100);
        Assert.Throws<VhostUserException>(() => receiver.Receive(VhostUserMessage.MaxPayloadSize, 100, null));

        using var stop = new EventFd();
        stop.Signal();
        Assert.Throws<OperationCanceledException>(() => receiver.Receive(VhostUserMessage.MaxPayloadSize, -1, stop));
    }

    [Fact]
    public void Send_TimesOutWhenThePeerNeverReads()
    {
        var (a, b) = UnixSocket.CreatePair();
        using var reader = b;
        using var sender = new MessageChannel(a, 100);
        var big = new byte[200];

        Assert.Throws<VhostUserException>(() =>
        {
            for (var i = 0; i < 100_000; i++)
                sender.Send(MessageHeader.ForRequest(1, (uint)big.Length), big);
        });
    }
}
