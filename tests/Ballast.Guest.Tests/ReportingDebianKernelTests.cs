using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestBench;
using Ballast.GuestLab;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting on Debian's own prebuilt kernel (the image <c>linux-image-amd64</c> depends on, fetched by
/// <c>guest/ensure.sh --debian-kernel</c> from the machine's apt sources) over virtio-PCI: a 2 GiB q35 guest with
/// <c>vhost-user-test-device-pci</c> on Ballast's daemon (<c>--features stats,deflate-on-oom,page-reporting</c>) and
/// Debian's virtio_balloon module, loaded by our initramfs after its virtio core and virtio_pci modules. The same
/// cycles as <see cref="ReportingStockDriverTests"/>: 1 GiB hogs come and go with the balloon empty, then at 512 MiB.
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class ReportingDebianKernelTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output) : IClassFixture<SharedGuest>
{
    private const long BalloonBytes = 512L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    /// <summary>virtio-pci takes the device's vendor from the PCI subsystem vendor.</summary>
    private const string RedHatQumranet = "0x1af4";

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = "rdeb",
        Kernel = GuestKernel.Debian,
        Machine = GuestMachine.Q35,
        Features = "stats,deflate-on-oom,page-reporting",
        Append = "ballast.report=0.5",
    });

    /// <summary>
    /// The guest runs Debian's kernel (its release, not ours), every module the initramfs preloads went in, and
    /// Debian's virtio_balloon binds to the balloon on PCI and negotiates PAGE_REPORTING.
    /// </summary>
    [Fact]
    [Order(1)]
    public async Task DebianKernel_LoadsItsVirtioModules_StockDriverNegotiatesPageReportingOnPci()
    {
        var guest = await GuestAsync();
        var environment = await fixture.DebianEnvironmentAsync();
        await guest.VerifyAsync(async () =>
        {
            var init = guest.Serial.Last("init") ?? throw new InvalidOperationException("no BALLAST init line");
            Assert.Equal(environment.Values["DEBIAN_KERNEL_RELEASE"], init["kernel"]);
            var preload = guest.Serial.Last("preload") ?? throw new InvalidOperationException("no BALLAST preload line");
            Assert.Contains("virtio_pci", preload["modules"]!.Split(','));
            Assert.Equal("", preload["failed"]);
            Assert.Equal(RedHatQumranet, guest.Serial.Last("virtio")?["vendor"]);
            await ReportingScenarios.NegotiatedAsync(guest, GuestBenchDrivers.StockModule);
        });
    }

    /// <summary>Three 1 GiB hogs in turn: after each <c>unhog</c> the host has ≥ 90% of it back within 10 s of the hog's free; the balloon stays empty.</summary>
    [Fact]
    [Order(2)]
    public async Task Unhog_1GiB_ThreeTimes_HostGets90PercentBackWithin10s_NoTarget()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            ReportingScenarios.Print(output, await ReportingScenarios.HogUnhogCyclesAsync(guest, cycles: 3));
            Assert.Equal(0UL, (await guest.StateAsync()).TargetBytes);
        });
    }

    /// <summary>
    /// The balloon inflated to 512 MiB, then two hog/unhog cycles: the host gets the hogs' memory back while the
    /// balloon holds; no hog found a page changed and the kernel log is clean.
    /// </summary>
    [Fact]
    [Order(3)]
    public async Task Unhog_WithBalloonInflatedTo512MiB_HostGetsItBack_BalloonHolds_NoCorruption_NoKernelTrouble()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            ReportingScenarios.Print(output, await ReportingScenarios.WithBalloonInflatedAsync(guest, BalloonBytes, cycles: 2, s_balloonTimeout));
            GuestAssert.NoKernelTrouble(guest);
        });
    }
}
