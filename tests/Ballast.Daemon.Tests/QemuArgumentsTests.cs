
namespace Ballast.Daemon.Tests;

public class QemuArgumentsTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Lines_CarryQueueCountAndSocket(int queues)
    {
        var lines = QemuArguments.Lines("/run/ballast/vm1.sock", queues);

        Assert.Contains("-chardev socket,id=ballast0,path=/run/ballast/vm1.sock", lines);
        Assert.Contains($"-device vhost-user-test-device-pci,chardev=ballast0,virtio-id=5,num_vqs={queues},config_size=8", lines);
        Assert.Contains($"-device vhost-user-test-device,chardev=ballast0,virtio-id=5,num_vqs={queues},config_size=8", lines);
        Assert.Contains("-global virtio-mmio.force-legacy=false", lines);
        Assert.Contains("-object memory-backend-memfd,id=mem,size=<RAM>,share=on,seal=on", lines);
        Assert.Contains("-M <machine>,memory-backend=mem", lines);
        Assert.All(lines, line => Assert.True(line.StartsWith('-') || line.StartsWith('#'), line));
    }

    [Theory]
    [InlineData(false, false, 3, 8)]
    [InlineData(true, false, 3, 16)]
    [InlineData(false, true, 4, 16)]
    [InlineData(true, true, 4, 16)]
    public void Lines_FollowTheDevice_NumVqsAndConfigSize(bool poison, bool reporting, int queues, int configSize)
    {
        var device = new Ballast.Balloon.Device.BalloonDevice(new() { PagePoison = poison, PageReporting = reporting });

        var lines = QemuArguments.Lines("/run/ballast/vm1.sock", device.QueueCount, device.ConfigSize);

        Assert.Contains($"-device vhost-user-test-device-pci,chardev=ballast0,virtio-id=5,num_vqs={queues},config_size={configSize}", lines);
        Assert.Contains($"-device vhost-user-test-device,chardev=ballast0,virtio-id=5,num_vqs={queues},config_size={configSize}", lines);
    }

    [Fact]
    public void Lines_RefuseAConfigSizeTheBalloonDoesNotHave() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => QemuArguments.Lines("/run/ballast/vm1.sock", 3, 12));

    [Fact]
    public void Lines_AskForGuestRamSealedAgainstShrinking()
    {
        // The daemon refuses a memory region whose file could shrink under its mapping (SIGBUS); seal=on is QEMU's
        // default for memory-backend-memfd, spelled out so that nobody turns it off.
        var lines = QemuArguments.Lines("/run/ballast/vm1.sock", 3);

        var memory = Assert.Single(lines, line => line.StartsWith("-object memory-backend-memfd,", StringComparison.Ordinal));
        Assert.Contains(",seal=on", memory, StringComparison.Ordinal);
        Assert.DoesNotContain("seal=off", string.Join('\n', lines), StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_WarnAgainstDevicesThatPinGuestRam()
    {
        // QEMU disables discards (ram_block_discard_disable) for VFIO and vhost-vdpa, but it cannot know that this
        // vhost-user device is a balloon: the printed arguments are where the user learns not to combine them.
        var comments = string.Join('\n', QemuArguments.Lines("/run/ballast/vm1.sock", 2).Where(line => line.StartsWith('#')));

        Assert.Contains("vfio-pci", comments, StringComparison.Ordinal);
        Assert.Contains("vhost-vdpa", comments, StringComparison.Ordinal);
        Assert.Contains("pin guest RAM", comments, StringComparison.Ordinal);
    }

    [Fact]
    public void Chardev_DoublesCommasInThePath()
    {
        Assert.Equal("socket,id=ballast0,path=/tmp/a,,b.sock", QemuArguments.Chardev("/tmp/a,b.sock"));
    }

    [Theory]
    [InlineData("socket,id=x,path=/a/b.sock", "socket,id=x,path=/a/b.sock")]
    [InlineData("path=/my vms/a.sock", "'path=/my vms/a.sock'")]
    [InlineData("path=/it's", "'path=/it'\\''s'")]
    [InlineData("", "''")]
    public void ShellQuote_QuotesOnlyWhenNeeded(string argument, string expected)
    {
        Assert.Equal(expected, QemuArguments.ShellQuote(argument));
    }

    [Fact]
    public void Lines_QuoteAPathWithSpaces()
    {
        var lines = QemuArguments.Lines("/tmp/my vm.sock", 2);

        Assert.Contains("-chardev 'socket,id=ballast0,path=/tmp/my vm.sock'", lines);
    }
}
