using Ballast.GuestLab;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// <c>kill -9</c> of the daemon's worker — the process that parses QEMU's and the guest's input — while the guest runs
/// Linux 6.1's stock driver: the supervisor keeps QEMU's connection and every other descriptor, a new worker resumes
/// the session, and neither QEMU nor the guest notice. After each kill: QEMU alive, <c>actual</c> reaches the target,
/// ballooned bytes = actual, the host memory behind guest RAM matches the balloon, and a deflate to 0 gives the guest
/// its MemFree back; and QEMU printed no vhost-user error (a reply sent twice or lost would pair its later replies with
/// the wrong requests).
/// </summary>
public abstract class WorkerCrashTestsBase(GuestFixture fixture, SharedGuest shared)
{
    /// <summary>The machine (and so the transport: virtio-mmio on microvm, virtio-PCI on q35).</summary>
    protected abstract GuestMachine Machine { get; }

    private const long MiB = 1L << 20;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_resumeTimeout = TimeSpan.FromSeconds(30);

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = Machine == GuestMachine.Q35 ? "crash-pci" : "crash",
        Machine = Machine,
        Append = "ballast.dirty=1600 ballast.report=0.5",
    });

    [Fact]
    [Order(1)]
    public async Task KillWorker_Idle_With1GiBBallooned_SessionGoesOn()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await BalloonScenarios.InflateReleasesHostMemoryAsync(guest, 1024 * MiB, s_balloonTimeout);
            var hostBefore = guest.Qemu.HostMemoryBytes();

            await guest.KillWorkerAsync(s_resumeTimeout);

            await AssertSessionWentOnAsync(guest, 1024 * MiB, hostBefore);
            await BalloonScenarios.DeflateToZeroAsync(guest, 0, s_balloonTimeout);
        });
    }

    [Fact]
    [Order(2)]
    public async Task KillWorker_DuringInflate_TargetIsStillReached()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.Api.SetTargetAsync(1536 * MiB);
            await guest.WaitActualAsync(actual => actual >= 256 * MiB, "actual_bytes >= 256 MiB", s_balloonTimeout);

            await guest.KillWorkerAsync(s_resumeTimeout);

            await guest.WaitActualAsync(actual => actual == 1536 * MiB, "actual_bytes = 1536 MiB", s_balloonTimeout);
            await AssertSessionWentOnAsync(guest, 1536 * MiB);
            await BalloonScenarios.DeflateToZeroAsync(guest, 0, s_balloonTimeout);
        });
    }

    [Fact]
    [Order(3)]
    public async Task KillWorker_DuringDeflate_DeflateFinishes_MemFreeBack()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.SetTargetAndWaitAsync(1536 * MiB, s_balloonTimeout);
            await guest.Api.SetTargetAsync(0);
            await guest.WaitActualAsync(actual => actual <= 1024 * MiB, "actual_bytes <= 1 GiB", s_balloonTimeout);

            await guest.KillWorkerAsync(s_resumeTimeout);

            await BalloonScenarios.DeflateToZeroAsync(guest, 0, s_balloonTimeout);
            Assert.False(guest.Qemu.HasExited, $"QEMU exited: {guest.Qemu.ExitReason()}");
            GuestAssert.QemuNoticedNothing(guest);
        });
    }

    /// <summary>
    /// The checks after a worker was replaced: QEMU alive, the API shows the guest connected with
    /// <paramref name="balloonBytes"/> as target, actual and ballooned bytes, and the host memory behind guest RAM at
    /// most <paramref name="hostAtMost"/> (+ 32 MiB the guest may have touched since) — by default guest RAM minus the
    /// balloon: no ballooned frame has memory behind it.
    /// </summary>
    internal static async Task AssertSessionWentOnAsync(BallastGuest guest, long balloonBytes, long? hostAtMost = null)
    {
        Assert.False(guest.Qemu.HasExited, $"QEMU exited: {guest.Qemu.ExitReason()}");
        GuestAssert.QemuNoticedNothing(guest);
        var state = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((ulong)balloonBytes, state.TargetBytes);
        await guest.WaitActualAsync(actual => actual == (ulong)balloonBytes, $"actual_bytes = {balloonBytes}", s_balloonTimeout);
        state = await guest.WaitReleasedAsync(s_balloonTimeout);
        Assert.Equal((ulong)balloonBytes, state.BalloonedBytes);
        var limit = Math.Min(hostAtMost ?? long.MaxValue, (long)state.GuestBytes - balloonBytes);
        var host = guest.Qemu.HostMemoryBytes();
        Assert.True(host <= limit + 32 * MiB,
            $"host memory behind guest RAM is {host / MiB} MiB after the worker was replaced; at most {limit / MiB} MiB expected");
    }
}

/// <summary><see cref="WorkerCrashTestsBase"/> on microvm: the balloon on virtio-mmio.</summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class WorkerCrashTests(GuestFixture fixture, SharedGuest shared) : WorkerCrashTestsBase(fixture, shared), IClassFixture<SharedGuest>
{
    protected override GuestMachine Machine => GuestMachine.Microvm;
}

/// <summary><see cref="WorkerCrashTestsBase"/> on q35: the balloon on virtio-PCI.</summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class PciWorkerCrashTests(GuestFixture fixture, SharedGuest shared) : WorkerCrashTestsBase(fixture, shared), IClassFixture<SharedGuest>
{
    protected override GuestMachine Machine => GuestMachine.Q35;
}
