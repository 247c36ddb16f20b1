using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Frontend;

/// <summary>
/// PAGE_REPORTING and PAGE_POISON over vhost-user: GET_QUEUE_NUM counts the reporting queue (the most a driver can
/// use), and the config space the back-end checks accesses against grows to 16 bytes (poison_val at 12).
/// </summary>
public sealed class PageReportingHandshakeTests
{
    [Theory]
    [InlineData(true, 4)]
    [InlineData(false, 3)]
    public void GetQueueNum_CountsTheReportingQueue(bool stats, int queues)
    {
        using var server = new ServerHarness(new BalloonDeviceOptions { StatsQueue = stats, PageReporting = true });
        using var memory = GuestMemory.CreateMemfd(16UL << 20);

        using var frontend = new VhostUserFrontend(server.SocketPath, memory);

        Assert.Equal(queues, frontend.QueueCount);
        Assert.Equal(128, frontend.MaxQueueSize(queues - 1));
    }

    [Fact]
    public void PoisonValue_IsWrittenAndReadThroughTheSixteenByteConfigSpace()
    {
        using var server = new ServerHarness(new BalloonDeviceOptions { PagePoison = true });
        using var memory = GuestMemory.CreateMemfd(16UL << 20);
        using var frontend = new VhostUserFrontend(server.SocketPath, memory);

        frontend.WriteConfig(12, [0xAA, 0xAA, 0xAA, 0xAA]);
        var config = new byte[16];
        frontend.ReadConfig(0, config);

        Assert.Equal(0xAAAA_AAAAu, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(12)));
        Assert.Equal(0xAAAA_AAAAu, server.Device.PoisonValue);
    }

    [Fact]
    public void WithoutPoisonOrReporting_TheConfigSpaceStaysEightBytes()
    {
        using var server = new ServerHarness(new BalloonDeviceOptions());
        using var memory = GuestMemory.CreateMemfd(16UL << 20);
        using var frontend = new VhostUserFrontend(server.SocketPath, memory);

        Assert.Throws<VhostUserException>(() => frontend.ReadConfig(0, new byte[16]));
    }
}
