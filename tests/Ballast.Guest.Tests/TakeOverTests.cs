using System.Globalization;
using System.Text.RegularExpressions;
using Ballast.GuestLab;
using Xunit.Abstractions;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// A live upgrade: <c>ballast serve … --take-over</c> started next to the running daemon takes its session over — the
/// old worker stops at a clean point, every descriptor moves to the new daemon, the old one exits 0 — while the guest
/// runs Linux 6.1's stock driver. QEMU never sees the connection close. After each take-over: QEMU alive, the balloon
/// where it was (or reaching its target), host memory matching it, a deflate to 0 giving MemFree back, and the pause
/// the new daemon measured (from the old worker being asked to stop to the session resumed) logged.
/// </summary>
public abstract partial class TakeOverTestsBase(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
{
    /// <summary>The machine (and so the transport: virtio-mmio on microvm, virtio-PCI on q35).</summary>
    protected abstract GuestMachine Machine { get; }

    private const long MiB = 1L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = Machine == GuestMachine.Q35 ? "takeover-pci" : "takeover",
        Machine = Machine,
        Append = "ballast.dirty=1600 ballast.report=0.5",
    });

    [Fact]
    [Order(1)]
    public async Task TakeOver_Idle_With1GiBBallooned_SessionGoesOn()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await BalloonScenarios.InflateReleasesHostMemoryAsync(guest, 1024 * MiB, s_balloonTimeout);
            var hostBefore = guest.Qemu.HostMemoryBytes();

            var daemon = await guest.TakeOverAsync();
            ReportPause(daemon);

            await WorkerCrashTestsBase.AssertSessionWentOnAsync(guest, 1024 * MiB, hostBefore);
            await BalloonScenarios.DeflateToZeroAsync(guest, 0, s_balloonTimeout);
        });
    }

    [Fact]
    [Order(2)]
    public async Task TakeOver_DuringInflate_TargetIsStillReached()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.Api.SetTargetAsync(1536 * MiB);
            await guest.WaitActualAsync(actual => actual >= 256 * MiB, "actual_bytes >= 256 MiB", s_balloonTimeout);

            var daemon = await guest.TakeOverAsync();
            ReportPause(daemon);

            await WorkerCrashTestsBase.AssertSessionWentOnAsync(guest, 1536 * MiB);
            await BalloonScenarios.DeflateToZeroAsync(guest, 0, s_balloonTimeout);
        });
    }

    [Fact]
    [Order(3)]
    public async Task TakeOver_WhileStatisticsArePolled_StatisticsKeepComing()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.Api.SetPollingIntervalAsync(1);
            await WaitFreshStatisticsAsync(guest, DateTimeOffset.UtcNow);

            var daemon = await guest.TakeOverAsync();
            ReportPause(daemon);

            // The polling interval set through the API carries over (its command line says nothing of it): fresh
            // numbers come without asking again.
            await WaitFreshStatisticsAsync(guest, DateTimeOffset.UtcNow);
            Assert.Equal(1, (await guest.Api.GetStatisticsAsync()).PollingIntervalS);
            await BalloonScenarios.DeflateToZeroAsync(guest, 512 * MiB, s_balloonTimeout);
            await guest.Api.SetPollingIntervalAsync(0);
        });
    }

    private static async Task WaitFreshStatisticsAsync(BallastGuest guest, DateTimeOffset after) =>
        await GuestWait.UntilAsync(async token =>
            {
                var report = await guest.Api.GetStatisticsAsync(token);
                return report.UpdatedAt > after;
            }, TimeSpan.FromSeconds(20), BallastGuest.PollInterval, () => $"statistics newer than {after:O}", guest.Qemu.ExitReason);

    private void ReportPause(DaemonProcess daemon)
    {
        var match = PauseLine().Match(daemon.Log(2000));
        Assert.True(match.Success, $"the new daemon did not log its pause:\n{daemon.Log()}");
        output.WriteLine($"take-over pause: {double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)} ms");
    }

    [GeneratedRegex(@"the session resumed ([0-9.]+) ms after")]
    private static partial Regex PauseLine();
}

/// <summary><see cref="TakeOverTestsBase"/> on microvm: the balloon on virtio-mmio.</summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class TakeOverTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
    : TakeOverTestsBase(fixture, shared, output), IClassFixture<SharedGuest>
{
    protected override GuestMachine Machine => GuestMachine.Microvm;
}

/// <summary><see cref="TakeOverTestsBase"/> on q35: the balloon on virtio-PCI.</summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class PciTakeOverTests(GuestFixture fixture, SharedGuest shared, ITestOutputHelper output)
    : TakeOverTestsBase(fixture, shared, output), IClassFixture<SharedGuest>
{
    protected override GuestMachine Machine => GuestMachine.Q35;
}
