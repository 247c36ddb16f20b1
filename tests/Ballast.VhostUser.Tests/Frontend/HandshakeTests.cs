using Ballast.Balloon.Device;
using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Frontend;

/// <summary>The realize-time handshake, QEMU's order (VHOST-USER-NOTES.md "Message order seen").</summary>
public sealed class HandshakeTests
{
    [Fact]
    public void Handshake_NegotiatesFeaturesProtocolFeaturesAndQueues()
    {
        using var server = new ServerHarness(new BalloonDeviceOptions { ScatterGather = true, StatsQueue = true });
        using var memory = GuestMemory.CreateMemfd(16UL << 20);

        using var frontend = new VhostUserFrontend(server.SocketPath, memory);

        Assert.Equal(server.Device.OfferedFeatures, frontend.DeviceFeatures);
        Assert.True(VirtioFeatures.Has(frontend.BackendFeatures, ProtocolFeatures.VhostUserFeatureBit));
        Assert.Equal(ProtocolFeatures.BackendOffered, frontend.NegotiatedProtocolFeatures);
        foreach (var bit in new[] { ProtocolFeatures.Mq, ProtocolFeatures.ReplyAck, ProtocolFeatures.BackendReq, ProtocolFeatures.Config })
            Assert.True(ProtocolFeatures.Has(frontend.NegotiatedProtocolFeatures, bit));
        Assert.Equal(3, frontend.QueueCount);
        Assert.Equal(128, frontend.MaxQueueSize(0));
        Assert.Equal(0, frontend.MaxQueueSize(3));
        Wait.Until(() => server.Server.IsConnected, "the server did not report the connection");
        Assert.Equal(0UL, server.Server.GuestRamBytes);
    }

    [Fact]
    public void Handshake_WithoutStatsQueue_ReportsTwoQueues()
    {
        using var server = new ServerHarness(new BalloonDeviceOptions { StatsQueue = false });
        using var memory = GuestMemory.CreateMemfd(16UL << 20);

        using var frontend = new VhostUserFrontend(server.SocketPath, memory);

        Assert.Equal(2, frontend.QueueCount);
    }

    [Fact]
    public void Handshake_MessagesArriveInQemuOrder()
    {
        using var server = new ServerHarness();
        using var memory = GuestMemory.CreateMemfd(16UL << 20);

        using (new VhostUserFrontend(server.SocketPath, memory))
        {
        }
        server.WaitDisconnected();

        var requests = server.Logs.Entries.Where(e => e.EventId == 110).Select(e => e.Message.Split(' ')[1]).ToList();
        Assert.Equal(
        [
            "GetFeatures", "GetProtocolFeatures", "SetProtocolFeatures", "GetQueueNum", "SetBackendReqFd", "SetOwner",
            "GetFeatures", "SetVringErr", "SetVringErr", "SetVringErr",
        ], requests);
    }

    [Fact]
    public void DriverOk_SendsMemoryTableAndRingsAndEnablesThem()
    {
        using var h = new GuestHarness(sg: true);

        Assert.Equal(h.Guest.Memory.RamBytes, h.Server.Server.GuestRamBytes);
        for (var q = 0; q < h.Device.QueueCount; q++)
            Assert.NotNull(h.Device.GetQueue(q));
        var requests = h.Server.Logs.Entries.Where(e => e.EventId == 110).Select(e => e.Message.Split(' ')[1]).SkipWhile(r => r != "SetFeatures").ToList();
        Assert.Equal("SetFeatures", requests[0]);
        Assert.Equal("SetMemTable", requests[1]);
        Assert.Equal(["SetVringNum", "SetVringBase", "SetVringAddr", "SetVringKick", "SetVringCall"], requests.Skip(2).Take(5));
        Assert.Equal(["SetVringEnable", "SetVringEnable", "SetVringEnable"], requests.Skip(2 + 5 * 3).Take(3));
    }

    [Fact]
    public void ConnectionChanged_ReportsConnectAndDisconnect()
    {
        using var server = new ServerHarness();
        using var memory = GuestMemory.CreateMemfd(16UL << 20);

        using (new VhostUserFrontend(server.SocketPath, memory))
            Wait.Until(() => server.Server.IsConnected, "not connected");
        server.WaitDisconnected();

        Assert.Equal([true, false], server.ConnectionEvents);
    }
}
