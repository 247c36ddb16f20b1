using Ballast.Guest.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// Free page reporting on one shared 2 GiB guest, the same for every driver and kernel (<see cref="ReportingScenarios"/>):
/// after the derived class's own first test (binding and negotiation), 1 GiB hogs come and go and the host gets their
/// memory back without any balloon target — first with the balloon empty, then with it inflated to 512 MiB. Every hog
/// checks its pages each second and once more before it frees them, so a report released under a page in use would
/// show as <c>hog corrupt</c>. In order; the last test also checks the guest's kernel log.
/// </summary>
public abstract class ReportingTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
{
    private const long BalloonBytes = 512L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    /// <summary>How the shared guest is started.</summary>
    protected abstract BallastGuestOptions Options { get; }

    /// <summary>The collection's fixture.</summary>
    protected GuestFixture Fixture => fixture;

    /// <summary>The shared guest, booted by the first test that asks.</summary>
    protected Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, Options);

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
