using System.Buffers.Binary;
using Ballast.Balloon.Device;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Config space, VIRTIO 1.2 §5.5.4: le32 num_pages at 0 (the host's target), le32 actual at 4 (the guest's
/// report). The driver writes only actual; a write covering num_pages must not move the target.
/// </summary>
public sealed class ConfigSpaceTests
{
    private static byte[] Read(BalloonDevice device, uint offset, int length)
    {
        var data = new byte[length];
        device.ReadConfig(offset, data);
        return data;
    }

    [Fact]
    public void ReadConfig_IsNumPagesThenActualLittleEndian()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(0x1122_3344);
        device.WriteConfig(4, [0xDD, 0xCC, 0xBB, 0xAA]);

        Assert.Equal([0x44, 0x33, 0x22, 0x11, 0xDD, 0xCC, 0xBB, 0xAA], Read(device, 0, 8));
        Assert.Equal(0x1122_3344u, device.NumPages);
        Assert.Equal(0xAABB_CCDDu, device.Actual);
        Assert.Equal(8, device.ConfigSize);
    }

    [Theory]
    [InlineData(2u, 4, new byte[] { 0x22, 0x11, 0xDD, 0xCC })]
    [InlineData(6u, 4, new byte[] { 0xBB, 0xAA, 0, 0 })]
    [InlineData(8u, 4, new byte[] { 0, 0, 0, 0 })]
    [InlineData(0xFFFF_FFFFu, 2, new byte[] { 0, 0 })]
    [InlineData(0u, 12, new byte[] { 0x44, 0x33, 0x22, 0x11, 0xDD, 0xCC, 0xBB, 0xAA, 0, 0, 0, 0 })]
    public void ReadConfig_PartialAndOutOfRangeReads(uint offset, int length, byte[] expected)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(0x1122_3344);
        device.WriteConfig(4, [0xDD, 0xCC, 0xBB, 0xAA]);

        Assert.Equal(expected, Read(device, offset, length));
    }

    [Fact]
    public void WriteConfig_FullWriteWithStaleNumPagesTakesOnlyActual()
    {
        // vhost-user SET_CONFIG carries the whole config, num_pages included, as the driver last read it.
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(1000);
        var changes = 0;
        device.ConfigChanged += () => changes++;
        var config = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(config, 5);           // stale target
        BinaryPrimitives.WriteUInt32LittleEndian(config.AsSpan(4), 700);

        device.WriteConfig(0, config);

        Assert.Equal(1000u, device.NumPages);
        Assert.Equal(700u, device.Actual);
        Assert.Equal(0, changes);
    }

    [Fact]
    public void WriteConfig_BytewiseWritesAssembleActual()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());

        device.WriteConfig(4, [0x78]);
        Assert.Equal(0x78u, device.Actual);
        device.WriteConfig(5, [0x56]);
        device.WriteConfig(6, [0x34]);
        Assert.Equal(0x34_5678u, device.Actual);
        device.WriteConfig(7, [0x12]);
        Assert.Equal(0x1234_5678u, device.Actual);
        device.WriteConfig(5, [0xFF, 0xEE]);
        Assert.Equal(0x12EE_FF78u, device.Actual);
    }

    [Theory]
    [InlineData(0u, 4)]
    [InlineData(8u, 4)]
    [InlineData(0xFFFF_FFFEu, 4)]   // offset + length wraps a uint
    [InlineData(2u, 2)]
    public void WriteConfig_OutsideActualIsIgnored(uint offset, int length)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(9);
        device.WriteConfig(4, [1, 0, 0, 0]);

        device.WriteConfig(offset, Enumerable.Repeat((byte)0xEE, length).ToArray());

        Assert.Equal(9u, device.NumPages);
        Assert.Equal(1u, device.Actual);
    }

    [Fact]
    public void WriteConfig_OverlappingActualTakesOnlyItsBytes()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(9);

        device.WriteConfig(2, [0xAA, 0xBB, 0x01, 0x02, 0x03, 0x04, 0xCC, 0xDD]);

        Assert.Equal(9u, device.NumPages);
        Assert.Equal(0x0403_0201u, device.Actual);
    }

    [Fact]
    public void SetTargetPages_RaisesConfigChangedOncePerChange()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        var changes = 0;
        device.ConfigChanged += () => changes++;

        device.SetTargetPages(10);
        device.SetTargetPages(10);
        Assert.Equal(1, changes);
        device.SetTargetPages(20);
        device.SetTargetPages(0);
        device.SetTargetPages(0);

        Assert.Equal(3, changes);
        Assert.Equal(3, device.Counters.ConfigChanges);
        Assert.Equal(0u, device.NumPages);
    }

    [Fact]
    public void Reset_KeepsTheTargetAndClearsActual()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(42);
        device.WriteConfig(4, [7, 0, 0, 0]);

        device.Reset();

        Assert.Equal(42u, device.NumPages);
        Assert.Equal(0u, device.Actual);
    }
}
