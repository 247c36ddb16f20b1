using Ballast.Virtio.Memory;

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
    public void Builtin_WithFreePageReporting_TurnsItOn()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory,
            new QemuGuestOptions { Balloon = GuestBalloonDevice.Builtin, FreePageReporting = true, Machine = GuestMachine.Q35 });

        Assert.Contains("virtio-balloon-pci,deflate-on-oom=on,free-page-reporting=on", args);
    }

    [Fact]
    public void VhostUser_ConfigSize_ComesFromTheOptions()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { Queues = 4, ConfigSize = 16 });

        Assert.Contains("vhost-user-test-device,chardev=ballast0,virtio-id=5,num_vqs=4,config_size=16", args);
    }

    [Fact]
    public void DebianKernel_BootsDebiansKernelAndItsInitramfs_AndNeedsThemInTheEnvironment()
    {
        var withDebian = GuestEnvironment.Parse(string.Join('\n', _environment.Values.Select(pair => $"{pair.Key}={pair.Value}"))
            + "\nDEBIAN_KERNEL_IN_ROOT=/ballast/bzImage-debian-d\nDEBIAN_INITRD_IN_ROOT=/ballast/initrd-e.gz\n");
        var options = new QemuGuestOptions { Kernel = GuestKernel.Debian, Machine = GuestMachine.Q35 };

        var args = QemuGuest.BuildArguments(withDebian, _directory, options);

        Assert.Equal("/ballast/bzImage-debian-d", ArgumentAfter(args, "-kernel"));
        Assert.Equal("/ballast/initrd-e.gz", ArgumentAfter(args, "-initrd"));
        Assert.Equal(_environment.KernelInRoot, ArgumentAfter(QemuGuest.BuildArguments(withDebian, _directory, new QemuGuestOptions()), "-kernel"));
        var e = Assert.Throws<InvalidOperationException>(() => QemuGuest.BuildArguments(_environment, _directory, options));
        Assert.Contains("--debian-kernel", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Machine_IsMicrovmWithVirtioMmio_ByDefault()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions());

        Assert.Equal(GuestMachine.Microvm, new QemuGuestOptions().Machine);
        Assert.Equal("microvm,acpi=off,memory-backend=mem", ArgumentAfter(args, "-M"));
        Assert.Equal("virtio-mmio.force-legacy=false", ArgumentAfter(args, "-global"));
    }

    [Fact]
    public void Q35_VhostUser_IsThePciDevice_OnQ35_WithoutTheMmioGlobal_StillInPreconfig()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory,
            new QemuGuestOptions { Machine = GuestMachine.Q35, Queues = 2, ReconnectMs = 700, Append = "ballast.dirty=16" });

        Assert.Equal([_root, "/usr/bin/qemu-system-x86_64", "--preconfig"], args.Take(3));
        Assert.Equal("q35,memory-backend=mem", ArgumentAfter(args, "-M"));
        Assert.Equal("memory-backend-memfd,id=mem,size=2048M,share=on", ArgumentAfter(args, "-object"));
        Assert.DoesNotContain("-global", args);
        Assert.DoesNotContain(args, arg => arg.Contains("virtio-mmio", StringComparison.Ordinal));
        Assert.Contains($"socket,id=ballast0,path={_directory.InRootPath}/balloon.sock,reconnect-ms=700", args);
        Assert.Equal("vhost-user-test-device-pci,chardev=ballast0,virtio-id=5,num_vqs=2,config_size=8", ArgumentAfter(args, "-device"));
        Assert.Contains("console=ttyS0 reboot=t panic=-1 ballast.dirty=16", args);
        Assert.Contains($"unix:{_directory.InRootPath}/qmp.sock,server=on,wait=off", args);
        Assert.Contains("chardev:console", args);
        Assert.Contains("tcg", args);
    }

    [Theory]
    [InlineData(true, "virtio-balloon-pci,deflate-on-oom=on")]
    [InlineData(false, "virtio-balloon-pci")]
    public void Q35_Builtin_IsQemusOwnBalloonOnPci(bool deflateOnOom, string device)
    {
        var args = QemuGuest.BuildArguments(_environment, _directory,
            new QemuGuestOptions { Machine = GuestMachine.Q35, Balloon = GuestBalloonDevice.Builtin, DeflateOnOom = deflateOnOom });

        Assert.Equal(device, ArgumentAfter(args, "-device"));
        Assert.DoesNotContain("--preconfig", args);
        Assert.DoesNotContain(args, arg => arg.Contains("vhost-user", StringComparison.Ordinal));
    }

    /// <summary>The two machines' command lines differ in the machine, microvm's virtio-mmio global and the device's transport only.</summary>
    [Theory]
    [InlineData(GuestBalloonDevice.VhostUser, "vhost-user-test-device,", "vhost-user-test-device-pci,")]
    [InlineData(GuestBalloonDevice.Builtin, "virtio-balloon-device,", "virtio-balloon-pci,")]
    [InlineData(GuestBalloonDevice.None, null, null)]
    public void Q35_DiffersFromMicrovm_OnlyInMachineGlobalAndDevice(GuestBalloonDevice balloon, string? mmioDevice, string? pciDevice)
    {
        var options = new QemuGuestOptions { Balloon = balloon, Append = "ballast.report=0.5" };
        var microvm = QemuGuest.BuildArguments(_environment, _directory, options).ToList();
        var q35 = QemuGuest.BuildArguments(_environment, _directory, options with { Machine = GuestMachine.Q35 }).ToList();

        var global = microvm.IndexOf("-global");
        microvm.RemoveRange(global, 2);
        microvm[microvm.IndexOf("-M") + 1] = "q35,memory-backend=mem";
        if (mmioDevice is not null)
        {
            var device = microvm.IndexOf("-device") + 1;
            Assert.StartsWith(mmioDevice, microvm[device], StringComparison.Ordinal);
            microvm[device] = pciDevice + microvm[device][mmioDevice.Length..];
        }
        Assert.Equal(microvm, q35);
    }

    [Fact]
    public void Backing_Hugetlb_IsAHugetlbMemfdOf2MiBPages_NothingElseChanges()
    {
        var plain = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions()).ToList();
        var huge = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { Backing = MemoryBacking.Hugetlb }).ToList();

        Assert.Equal("memory-backend-memfd,id=mem,size=2048M,share=on,hugetlb=on,hugetlbsize=2M", ArgumentAfter(huge, "-object"));
        plain[plain.IndexOf("-object") + 1] = huge[huge.IndexOf("-object") + 1];
        Assert.Equal(plain, huge);
    }

    /// <summary>THP: a file on the guest's own huge=always tmpfs, mapped 2 MiB aligned (a memfd's mapping is not).</summary>
    [Fact]
    public void Backing_Thp_IsA2MiBAlignedFileOnTheRunDirectorysRamMount()
    {
        var args = QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { Backing = MemoryBacking.Thp, MemoryBytes = 512L << 20 });

        Assert.Equal($"memory-backend-file,id=mem,size=512M,share=on,mem-path={_directory.InRootPath}/ram/guest-ram,align=2M", ArgumentAfter(args, "-object"));
        Assert.Equal("microvm,acpi=off,memory-backend=mem", ArgumentAfter(args, "-M"));
    }

    [Fact]
    public void UnknownMachine_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { Machine = (GuestMachine)7 }));

    [Fact]
    public void MemoryNotWholeMiB_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            QemuGuest.BuildArguments(_environment, _directory, new QemuGuestOptions { MemoryBytes = (2L << 30) + 4096 }));

    private static string ArgumentAfter(IReadOnlyList<string> args, string option)
    {
        var at = args.ToList().IndexOf(option);
        Assert.True(at >= 0 && at + 1 < args.Count, $"no {option} in {string.Join(' ', args)}");
        Assert.True(args.Skip(at + 1).All(arg => arg != option), $"{option} appears more than once");
        return args[at + 1];
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
