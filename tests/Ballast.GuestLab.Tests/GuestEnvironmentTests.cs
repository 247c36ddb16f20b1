
namespace Ballast.GuestLab.Tests;

/// <summary><see cref="GuestEnvironment"/> reads ensure.sh's KEY=VALUE output and maps host paths into the chroot.</summary>
public sealed class GuestEnvironmentTests
{
    internal const string Sample = """
        CACHE=/var/cache/ballast-guest
        QEMU_ROOT=/var/cache/ballast-guest/qemu/k/root
        QEMU=/usr/bin/qemu-system-x86_64
        QEMU_VERSION=11.1.3
        KERNEL=/var/cache/ballast-guest/qemu/k/root/ballast/bzImage-a
        KERNEL_IN_ROOT=/ballast/bzImage-a
        INITRD=/var/cache/ballast-guest/qemu/k/root/ballast/initrd-b.gz
        INITRD_IN_ROOT=/ballast/initrd-b.gz
        RUN_DIR=/var/cache/ballast-guest/qemu/k/root/ballast/run
        EXTRA=a=b
        """;

    [Fact]
    public void Parse_ReadsEveryKey_ValueMayHoldEquals()
    {
        var environment = GuestEnvironment.Parse(Sample);

        Assert.Equal("/var/cache/ballast-guest/qemu/k/root", environment.QemuRoot);
        Assert.Equal("/ballast/bzImage-a", environment.KernelInRoot);
        Assert.Equal("11.1.3", environment.QemuVersion);
        Assert.Equal("a=b", environment.Values["EXTRA"]);
    }

    [Fact]
    public void Parse_MissingKey_NamesIt()
    {
        var e = Assert.Throws<FormatException>(() => GuestEnvironment.Parse(Sample.Replace("RUN_DIR=", "NOT_RUN_DIR=", StringComparison.Ordinal)));

        Assert.Contains("RUN_DIR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InRoot_StripsTheChroot_AndRefusesPathsOutsideIt()
    {
        var environment = GuestEnvironment.Parse(Sample);

        Assert.Equal("/ballast/run/t.1/balloon.sock", environment.InRoot("/var/cache/ballast-guest/qemu/k/root/ballast/run/t.1/balloon.sock"));
        Assert.Throws<ArgumentException>(() => environment.InRoot("/var/cache/ballast-guest/qemu/k/rootless/x"));
    }

    [Fact]
    public void FindGuestDirectory_FindsThisRepositorysGuestScripts()
    {
        var guest = GuestEnvironment.FindGuestDirectory();

        Assert.True(File.Exists(Path.Combine(guest, "ensure.sh")), guest);
    }
}
