using Xunit.Abstractions;
using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestBench;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting with Ballast's own module (<c>ballast.module=ballast_balloon</c>, its <c>report.c</c>) against
/// the daemon with SG and must-tell-host, releasing inflates deferred (<c>--features
/// stats,deflate-on-oom,sg,must-tell-host,page-reporting --defer-release</c>: reports must still be released before
/// their buffer returns), on one 2 GiB microvm guest: the same cycles as <see cref="ReportingStockDriverTests"/> —
/// 1 GiB hogs come and go with the balloon empty, then inflated to 512 MiB over SG.
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class ReportingModuleTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output) : IClassFixture<SharedGuest>
{
    private const long BalloonBytes = 512L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = "rmod",
        Features = "stats,deflate-on-oom,sg,must-tell-host,page-reporting",
        DeferRelease = true,
        Append = $"ballast.module={GuestBenchDrivers.BallastModule} ballast.report=0.5",
    });

    /// <summary>ballast_balloon negotiates PAGE_REPORTING beside SG; QEMU has 4 queues and the 16-byte config space.</summary>
    [Fact]
    [Order(1)]
    public async Task Module_NegotiatesPageReportingAndSg_QemuHasTheReportingQueue()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await ReportingScenarios.NegotiatedAsync(guest, GuestBenchDrivers.BallastModule);
            var virtio = guest.Serial.Last("virtio")!;
            Assert.True(GuestBenchRunner.HasFeatureBit(virtio, GuestBenchRunner.SgBit), $"SG not negotiated: {virtio}");
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
    /// The balloon inflated to 512 MiB over SG, then two hog/unhog cycles: the host gets the hogs' memory back while
    /// the balloon holds; no hog found a page changed and the kernel log is clean.
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
