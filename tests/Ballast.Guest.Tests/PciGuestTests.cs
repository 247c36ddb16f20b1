using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestLab;

namespace Ballast.Guest.Tests;

/// <summary>
/// Ballast's balloon over virtio-PCI: a 2 GiB q35 guest (SeaBIOS, the same kernel as the microvm guests) with
/// <c>vhost-user-test-device-pci</c> on the daemon, Linux 6.1's stock virtio_balloon driver, 1600 MiB dirtied at boot
/// and meminfo every 0.5 s. In order: bind, statistics, inflate 1 GiB, deflate to 0. QEMU gives the PCI device a
/// single MSI-X vector, so the driver runs it on INTx (an IO-APIC line routed through SeaBIOS's MP table).
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class PciGuestTests(GuestFixture fixture, SharedGuest shared) : IClassFixture<SharedGuest>
{
    private const long MiB = 1L << 20;
    private const long InflateBytes = 1024 * MiB;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    /// <summary>virtio-pci takes the device's vendor from the PCI subsystem vendor (virtio-mmio's is "QEMU", 0x554d4551).</summary>
    private const string RedHatQumranet = "0x1af4";

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = "pci",
        Machine = GuestMachine.Q35,
        Append = "ballast.dirty=1600 ballast.report=0.5",
    });

    /// <summary>
    /// The stock driver binds to the balloon on PCI, and the daemon has the guest's memory table: on q35 a 2 GiB guest
    /// lies wholly below 4 GiB (QEMU splits guest RAM around the PCI hole only from 2.75 GiB on), and QEMU 11.1.3
    /// sends it as one region of exactly 2 GiB (microvm's leaves out 0xf0000-0x100000).
    /// </summary>
    [Fact]
    [Order(1)]
    public async Task StockDriver_BindsToTheBalloonOnPci_DaemonHasTheWholeGuestRam()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            Assert.Equal(["-M", "q35,memory-backend=mem"], File.ReadAllLines(guest.Directory.HostFile(QemuGuest.CommandLineName))
                .SkipWhile(arg => arg != "-M").Take(2));
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            Assert.Equal("0x0005", virtio["id"]);
            Assert.Equal(RedHatQumranet, virtio["vendor"]);
            Assert.Equal("virtio_balloon", virtio["driver"]);

            var state = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            Assert.True(state.Connected);
            Assert.Equal(["stats", "deflate-on-oom"], state.Features);
            Assert.Equal(2UL << 30, state.GuestBytes);
            Assert.Contains("memory table: 1 regions, 2147483648 bytes of guest RAM", guest.Daemon.Log(2000), StringComparison.Ordinal);
            Assert.Equal(0UL, state.ActualBytes);
        });
    }

    /// <summary>The statistics queue works over PCI: fresh statistics reach the API and match /proc/meminfo within 5%.</summary>
    [Fact]
    [Order(2)]
    public async Task Statistics_ReachTheApi_AndAgreeWithGuestMeminfo()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.StatisticsAgreeWithMeminfoAsync(guest));
    }

    /// <summary>Inflating to 1 GiB: actual reaches it, MemFree drops by 1 GiB (±2%), the host gets ≥ 95% of it back.</summary>
    [Fact]
    [Order(3)]
    public async Task Inflate_To1GiB_ReachesTarget_MemFreeDrops_HostMemoryReleased()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.InflateReleasesHostMemoryAsync(guest, InflateBytes, s_balloonTimeout));
    }

    /// <summary>Deflating to 0: actual 0, MemFree back within 2% of the boot-time value.</summary>
    [Fact]
    [Order(4)]
    public async Task Deflate_To0_ActualZero_MemFreeBack()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.DeflateToZeroAsync(guest, InflateBytes, s_balloonTimeout));
    }
}
