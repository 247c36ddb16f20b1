using Ballast.Guest.Tests.Infrastructure;
using Ballast.GuestBench;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting with Linux 6.1's stock virtio_balloon against Ballast's daemon (<c>--features
/// stats,deflate-on-oom,page-reporting</c>) on one 2 GiB microvm guest: <see cref="ReportingTests"/>.
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class ReportingStockDriverTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
    : ReportingTests(fixture, shared, output), IClassFixture<SharedGuest>
{
    /// <inheritdoc/>
    protected override BallastGuestOptions Options { get; } = new()
    {
        Name = "rstock",
        Features = "stats,deflate-on-oom,page-reporting",
        Append = "ballast.report=0.5",
    };

    /// <summary>The stock driver negotiates PAGE_REPORTING; QEMU has 4 queues and the 16-byte config space.</summary>
    [Fact]
    [Order(1)]
    public async Task StockDriver_NegotiatesPageReporting_QemuHasTheReportingQueue()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => ReportingScenarios.NegotiatedAsync(guest, GuestBenchDrivers.StockModule));
    }
}
