using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestBench;
using Ballast.GuestLab;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting on Debian's own prebuilt kernel (the image <c>linux-image-amd64</c> depends on, fetched by
/// <c>guest/ensure.sh --debian-kernel</c> from the machine's apt sources) over virtio-PCI: a 2 GiB q35 guest with
/// <c>vhost-user-test-device-pci</c> on Ballast's daemon (<c>--features stats,deflate-on-oom,page-reporting</c>) and
/// Debian's virtio_balloon module, loaded by our initramfs after its virtio core and virtio_pci modules:
/// <see cref="ReportingTests"/>.
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class ReportingDebianKernelTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
    : ReportingTests(fixture, shared, output), IClassFixture<SharedGuest>
{
    /// <summary>virtio-pci takes the device's vendor from the PCI subsystem vendor.</summary>
    private const string RedHatQumranet = "0x1af4";

    /// <inheritdoc/>
    protected override BallastGuestOptions Options { get; } = new()
    {
        Name = "rdeb",
        Kernel = GuestKernel.Debian,
        Machine = GuestMachine.Q35,
        Features = "stats,deflate-on-oom,page-reporting",
        Append = "ballast.report=0.5",
    };

    /// <summary>
    /// The guest runs Debian's kernel (its release, not ours), every module the initramfs preloads went in, and
    /// Debian's virtio_balloon binds to the balloon on PCI and negotiates PAGE_REPORTING.
    /// </summary>
    [Fact]
    [Order(1)]
    public async Task DebianKernel_LoadsItsVirtioModules_StockDriverNegotiatesPageReportingOnPci()
    {
        var guest = await GuestAsync();
        var environment = await Fixture.DebianEnvironmentAsync();
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
}
