using System.Buffers.Binary;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// A hand-driven front-end: writes whatever header, payload and descriptors a test wants, and reads what comes
/// back. Every wait has a time-out.
/// </summary>
internal sealed class RawClient : IDisposable
{
    public const uint NeedReply = HeaderFlags.Version1 | HeaderFlags.NeedReply;
    public const uint NoReply = HeaderFlags.Version1;
    private const int TimeoutMs = 5000;

    private readonly MessageChannel _channel;

    public RawClient(string socketPath) => _channel = new MessageChannel(UnixSocket.Connect(socketPath), TimeoutMs);

    /// <summary>A client on one end of a socket pair (owned).</summary>
    public RawClient(UnixSocket socket) => _channel = new MessageChannel(socket, TimeoutMs);

    public UnixSocket Socket => _channel.Socket;

    /// <summary>Sends header + payload; the header's size is the payload's length unless given.</summary>
    public void Send(FrontendRequest request, uint flags, ReadOnlySpan<byte> payload, int[]? fds = null, uint? size = null)
    {
        var bytes = new byte[MessageHeader.WireSize + payload.Length];
        new MessageHeader((uint)request, flags, size ?? (uint)payload.Length).Write(bytes);
        payload.CopyTo(bytes.AsSpan(MessageHeader.WireSize));
        Socket.Send(bytes, fds ?? [], TimeoutMs);
    }

    public void SendU64(FrontendRequest request, uint flags, ulong value, int[]? fds = null)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, value);
        Send(request, flags, payload, fds);
    }

    public void SendState(FrontendRequest request, uint flags, uint index, uint num)
    {
        var payload = new byte[VringState.WireSize];
        new VringState(index, num).Write(payload);
        Send(request, flags, payload);
    }

    /// <summary>Reads one message; null if the server closed the connection.</summary>
    public ReceivedMessage? Receive(int timeoutMs = TimeoutMs) => _channel.Receive(4096, timeoutMs, stop: null);

    /// <summary>Reads a reply to <paramref name="request"/> and checks its header (flags exactly 0x5).</summary>
    public byte[] ReceiveReply(FrontendRequest request)
    {
        using var reply = Receive() ?? throw new Xunit.Sdk.XunitException($"the server closed the connection instead of answering {request}");
        Assert.Equal((uint)request, reply.Header.Request);
        Assert.Equal(0x5u, reply.Header.Flags);
        Assert.Equal(0, reply.Fds.Count);
        return reply.Payload;
    }

    /// <summary>Reads a REPLY_ACK status.</summary>
    public ulong ReceiveAck(FrontendRequest request)
    {
        var payload = ReceiveReply(request);
        Assert.Equal(8, payload.Length);
        return BinaryPrimitives.ReadUInt64LittleEndian(payload);
    }

    /// <summary>GET_FEATURES round trip: proves the session is alive.</summary>
    public ulong GetFeatures()
    {
        Send(FrontendRequest.GetFeatures, NoReply, []);
        return BinaryPrimitives.ReadUInt64LittleEndian(ReceiveReply(FrontendRequest.GetFeatures));
    }

    /// <summary>True if the server closes the connection (EOF or reset) within the time-out, with nothing sent first.</summary>
    public bool WaitClosed(int timeoutMs = TimeoutMs)
    {
        try
        {
            using var message = Receive(timeoutMs);
            return message is null;
        }
        catch (VhostUserException e) when (e.Message.Contains("reset", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("errno 104", StringComparison.Ordinal))
        {
            return true;
        }
    }

    /// <summary>SET_MEM_TABLE for <paramref name="memory"/> (as the frontend sends it) with NEED_REPLY; asserts success.</summary>
    public void SetMemTable(GuestMemory memory)
    {
        var regions = memory.Regions.Select(r => new MemoryRegionDescription(r.GuestPhysAddr, r.Size, (ulong)r.HostAddress, r.FdOffset)).ToArray();
        var payload = new byte[MemoryTable.WireSize(regions.Length)];
        MemoryTable.Write(payload, regions);
        Send(FrontendRequest.SetMemTable, NeedReply, payload, memory.Regions.Select(r => r.Fd).ToArray());
        Assert.Equal(0UL, ReceiveAck(FrontendRequest.SetMemTable));
    }

    public void Dispose() => _channel.Dispose();
}
