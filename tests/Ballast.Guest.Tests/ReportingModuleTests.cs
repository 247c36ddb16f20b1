using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestBench;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting with Ballast's own module (<c>ballast.module=ballast_balloon</c>, its <c>report.c</c>) against
/// the daemon with SG and must-tell-host, releasing inflates deferred (<c>--features
/// stats,deflate-on-oom,sg,must-tell-host,page-reporting --defer-release</c>: reports must still be released before
/// their buffer returns), on one 2 GiB microvm guest: <see cref="ReportingTests"/> (the balloon inflated over SG).
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class ReportingModuleTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
    : ReportingTests(fixture, shared, output), IClassFixture<SharedGuest>
{
    /// <inheritdoc/>
    protected override BallastGuestOptions Options { get; } = new()
    {
        Name = "rmod",
        Features = "stats,deflate-on-oom,sg,must-tell-host,page-reporting",
        DeferRelease = true,
        Append = $"ballast.module={GuestBenchDrivers.BallastModule} ballast.report=0.5",
    };

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
}
