using Ballast.Linux;
using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Linux.Interop;
using Ballast.TestKit;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;
using Ballast.VhostUser.Transport;
using Ballast.Virtio.Queue;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// Eventfds handed over with SET_VRING_CALL/KICK/ERR belong to the front-end, which may pass them in blocking mode
/// (no O_NONBLOCK): write(2) on one whose counter is at its maximum (2^64 − 2), or read(2) on an empty one, would
/// then wait for the front-end. The backend must never wait: it makes them non-blocking on receipt and never
/// writes or reads one that is not ready.
/// </summary>
public sealed unsafe class HostileEventFdTests
{
    private const ulong FullCounter = ulong.MaxValue - 1;

    [Fact]
    public void BlockingCallEventfdAtItsMaximum_DoesNotHangTheBackend()
    {
        using var server = new ServerHarness();
        using var ring = new RingBuilder(size: 16);
        using var kick = new EventFd();
        var call = BlockingEventFd(FullCounter);
        try
        {
            using var client = new RawClient(server.SocketPath);
            client.SetMemTable(ring.Memory);
            StartRing(client, ring, BalloonQueue.Inflate, kick.Fd, call);

            // One inflate buffer (PFN mode: le32 page frame numbers); using it signals the call eventfd.
            var pfns = ring.Readable(4);
            BinaryPrimitives.WriteUInt32LittleEndian(ring.Bytes(pfns.Address, 4), 0x300);
            ring.AddChain(pfns);
            kick.Signal();
            Wait.Until(() => ring.UsedIdx == 1, "the inflate buffer was not used");

            AssertAnswersWithin(client, TimeSpan.FromSeconds(5));
            Assert.Equal(1UL, server.Device.BalloonedPages);
        }
        finally
        {
            // Without the fix the backend's thread sits in write(2) on this eventfd: draining it lets the server stop.
            Drain(call);
            Libc.close(call);
        }
    }

    [Fact]
    public void ReceivedEventfds_AreMadeNonBlocking()
    {
        using var server = new ServerHarness();
        using var client = new RawClient(server.SocketPath);
        var kick = BlockingEventFd(0);
        var call = BlockingEventFd(0);
        var err = BlockingEventFd(0);
        try
        {
            client.SendU64(FrontendRequest.SetVringKick, RawClient.NeedReply, 0, [kick]);
            Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringKick));
            client.SendU64(FrontendRequest.SetVringCall, RawClient.NeedReply, 0, [call]);
            Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringCall));
            client.SendU64(FrontendRequest.SetVringErr, RawClient.NeedReply, 0, [err]);
            Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringErr));

            // O_NONBLOCK lives on the open file description, which our descriptor shares with the backend's copy.
            foreach (var fd in new[] { kick, call, err })
                Assert.True((Libc.fcntl(fd, Libc.F_GETFL, 0) & Libc.O_NONBLOCK) != 0, "a received eventfd is still blocking");
        }
        finally
        {
            Libc.close(kick);
            Libc.close(call);
            Libc.close(err);
        }
    }

    /// <summary>An eventfd without EFD_NONBLOCK whose counter is <paramref name="value"/>.</summary>
    private static int BlockingEventFd(ulong value)
    {
        var fd = Libc.eventfd(0, Libc.O_CLOEXEC);
        Assert.True(fd >= 0);
        if (value != 0)
            Assert.Equal(8, (long)Libc.write(fd, &value, 8));
        return fd;
    }

    /// <summary>Reads the counter if it is not zero (never blocks).</summary>
    private static void Drain(int fd)
    {
        var pfd = new Ballast.Linux.Interop.Libc.pollfd { fd = fd, events = Ballast.Linux.Interop.Libc.POLLIN };
        if (Ballast.Linux.Interop.Libc.poll(&pfd, 1, 0) == 1)
        {
            ulong value;
            _ = Libc.read(fd, &value, 8);
        }
    }

    /// <summary>SET_VRING_NUM, _ADDR (our host addresses, as QEMU sends them), _BASE, _KICK, _CALL, _ENABLE for one ring.</summary>
    private static void StartRing(RawClient client, RingBuilder ring, int index, int kick, int call)
    {
        client.SendState(FrontendRequest.SetVringNum, RawClient.NeedReply, (uint)index, (uint)ring.Size);
        Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringNum));
        var payload = new byte[VringAddress.WireSize];
        new VringAddress((uint)index, 0, Host(ring, ring.Addresses.DescriptorTable, SplitRing.DescriptorTableBytes(ring.Size)),
            Host(ring, ring.Addresses.UsedRing, SplitRing.UsedRingBytes(ring.Size)),
            Host(ring, ring.Addresses.AvailableRing, SplitRing.AvailableRingBytes(ring.Size)), 0).Write(payload);
        client.Send(FrontendRequest.SetVringAddr, RawClient.NeedReply, payload);
        Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringAddr));
        client.SendState(FrontendRequest.SetVringBase, RawClient.NeedReply, (uint)index, 0);
        Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringBase));
        client.SendU64(FrontendRequest.SetVringCall, RawClient.NeedReply, (ulong)index, [call]);
        Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringCall));
        client.SendU64(FrontendRequest.SetVringKick, RawClient.NeedReply, (ulong)index, [kick]);
        Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringKick));
        client.SendState(FrontendRequest.SetVringEnable, RawClient.NeedReply, (uint)index, 1);
        Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringEnable));
    }

    private static ulong Host(RingBuilder ring, ulong gpa, ulong length)
    {
        Assert.True(ring.Memory.TryGetHostAddress(gpa, length, out var host));
        return (ulong)host;
    }

    /// <summary>GET_FEATURES must be answered within <paramref name="limit"/>: the session's thread is not stuck.</summary>
    private static void AssertAnswersWithin(RawClient client, TimeSpan limit)
    {
        client.Send(FrontendRequest.GetFeatures, RawClient.NoReply, []);
        ReceivedMessage? reply = null;
        var answered = Record.Exception(() => reply = client.Receive((int)limit.TotalMilliseconds));
        Assert.True(answered is null && reply is not null, $"the backend did not answer GET_FEATURES within {limit.TotalSeconds} s: {answered?.Message}");
        using (reply)
            Assert.Equal((uint)FrontendRequest.GetFeatures, reply!.Header.Request);
    }
}
