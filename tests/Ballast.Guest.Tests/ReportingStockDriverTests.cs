using Xunit.Abstractions;
using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestBench;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting with Linux 6.1's stock virtio_balloon against Ballast's daemon (<c>--features
/// stats,deflate-on-oom,page-reporting</c>) on one 2 GiB microvm guest: 1 GiB hogs come and go, and the host gets
/// their memory back without any balloon target — first with the balloon empty, then with it inflated to 512 MiB.
/// Every hog checks its pages each second and once more before it frees them, so a report released under a page in
/// use would show as <c>hog corrupt</c>. In order; the last test also checks the guest's kernel log.
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class ReportingStockDriverTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output) : IClassFixture<SharedGuest>
{
    private const long BalloonBytes = 512L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = "rstock",
        Features = "stats,deflate-on-oom,page-reporting",
        Append = "ballast.report=0.5",
    });

    /// <summary>The stock driver negotiates PAGE_REPORTING; QEMU has 4 queues and the 16-byte config space.</summary>
    [Fact]
    [Order(1)]
    public async Task StockDriver_NegotiatesPageReporting_QemuHasTheReportingQueue()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => ReportingScenarios.NegotiatedAsync(guest, GuestBenchDrivers.StockModule));
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
    /// The balloon inflated to 512 MiB, then two hog/unhog cycles: reporting gives the host the hogs' memory back as
    /// before while the balloon holds; no hog found a page changed and the kernel log is clean.
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
