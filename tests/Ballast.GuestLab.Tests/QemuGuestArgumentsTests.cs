
namespace Ballast.GuestLab.Tests;

/// <summary><see cref="QemuGuest.BuildArguments"/>: the verified command line, every path inside the chroot.</summary>
public sealed class QemuGuestArgumentsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"ballast-root-{Guid.NewGuid():N}"[..24]);
    private readonly GuestEnvironment _environment;
    private readonly GuestRunDirectory _directory;

    public QemuGuestArgumentsTests()
    {
        _environment = GuestEnvironment.Parse(GuestEnvironmentTests.Sample
            .Replace("/var/cache/ballast-guest/qemu/k/root", _root, StringComparison.Ordinal));
        _directory = GuestRunDirectory.Create(_environment, "a");
    }

    [Fact]
    public void VhostUser_WithReconnect_StartsInPreconfig_WithTheDeviceOnTheRunDirectorysSocket()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { Queues = 3, ReconnectMs = 700, Append = "ballast.dirty=16" });

        Assert.Equal([_root, "/usr/bin/qemu-system-x86_64", "--preconfig"], args.Take(3));
        Assert.Contains($"socket,id=ballast0,path={_directory.InRootPath}/balloon.sock,reconnect-ms=700", args);
        Assert.Contains("vhost-user-test-device,chardev=ballast0,virtio-id=5,num_vqs=3,config_size=8", args);
        Assert.Contains("memory-backend-memfd,id=mem,size=2048M,share=on", args);
        Assert.Contains("virtio-mmio.force-legacy=false", args);
        Assert.Contains("console=ttyS0 reboot=t panic=-1 ballast.dirty=16", args);
        Assert.Contains("tcg", args);
        Assert.StartsWith("/ballast/run/a.", _directory.InRootPath, StringComparison.Ordinal);
    }

    [Fact]
    public void VhostUser_WithoutReconnect_ConnectsPlainly()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { Queues = 2, ReconnectMs = 0 });

        Assert.DoesNotContain("--preconfig", args);
        Assert.Contains($"socket,id=ballast0,path={_directory.InRootPath}/balloon.sock", args);
        Assert.Contains("vhost-user-test-device,chardev=ballast0,virtio-id=5,num_vqs=2,config_size=8", args);
    }

    [Theory]
    [InlineData(true, "virtio-balloon-device,deflate-on-oom=on")]
    [InlineData(false, "virtio-balloon-device")]
    public void Builtin_IsQemusOwnBalloon(bool deflateOnOom, string device)
    {
        var args = QemuGuest.BuildArguments(_environment, _directory,
            new QemuGuestOptions { Balloon = GuestBalloonDevice.Builtin, DeflateOnOom = deflateOnOom, MemoryBytes = 512L << 20 });

        Assert.Contains(device, args);
        Assert.DoesNotContain("--preconfig", args);
        Assert.Contains("512M", args);
        Assert.DoesNotContain(args, arg => arg.Contains("vhost-user", StringComparison.Ordinal));
    }

    [Fact]
    public void MemoryNotWholeMiB_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { MemoryBytes = (2L << 30) + 4096 }));

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
