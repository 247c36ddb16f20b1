using Ballast.Balloon.Device;
using Ballast.Daemon.Client;
using Ballast.GuestLab;
using Ballast.Daemon;
using Ballast.Guest.Tests.Infrastructure;
using Ballast.Virtio;

namespace Ballast.Guest.Tests;

/// <summary>
/// Linux 6.1's stock virtio_balloon driver against Ballast's daemon (stats and deflate-on-oom offered, no SG), on one
/// 2 GiB guest that dirtied 1600 MiB at boot (so inflating has host memory to give back) and reports meminfo every
/// 0.5 s. The tests go in order — bind, statistics, inflate, deflate, a hostile target — each leaving the balloon
/// empty or as the next one expects.
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class StockDriverTests(GuestFixture fixture, SharedGuest shared) : IClassFixture<SharedGuest>
{
    private const string Features = "stats,deflate-on-oom";
    private const long MiB = 1L << 20;
    private const long InflateBytes = 1536 * MiB;
    private const long InflateKb = InflateBytes / 1024;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = "stock",
        Features = Features,
        Append = "ballast.dirty=1600 ballast.report=0.5",
    });

    /// <summary>
    /// The stock driver binds to virtio id 5 and negotiates exactly what the daemon offers, minus
    /// VIRTIO_RING_F_INDIRECT_DESC (bit 28): Linux's virtballoon_validate() clears it because the balloon never uses
    /// indirect descriptors. VHOST_USER_F_PROTOCOL_FEATURES (bit 30) is vhost-user's own and QEMU's generic device
    /// masks it before the guest sees the device's features; it is not among the device's offered bits anyway.
    /// </summary>
    [Fact]
    [Order(1)]
    public async Task StockDriver_BindsToBalloon_NegotiatesTheOfferedFeatures_ApiShowsConnected()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            Assert.Equal("0x0005", virtio["id"]);
            Assert.Equal("virtio_balloon", virtio["driver"]);

            Assert.True(ServeFeatureList.TryParse(Features, out var names, out var error), error);
            var offered = new BalloonDevice(ServeFeatureList.ToDeviceOptions(names, BalloonFeatures.DefaultSgBit, ReleasePolicy.Coalesce)).OfferedFeatures;
            var expected = offered & ~VirtioFeatures.Bit(VirtioFeatures.IndirectDesc);
            var negotiated = Facts.FeatureBits(virtio);
            Assert.True(expected == negotiated,
                $"negotiated {Facts.BitList(negotiated)}, expected the offered {Facts.BitList(offered)} minus INDIRECT_DESC = {Facts.BitList(expected)}");

            var state = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            Assert.True(state.Connected);
            Assert.Equal(["stats", "deflate-on-oom"], state.Features);
            // microvm leaves 0xf0000-0x100000 out of the memory table: 2 GiB - 64 KiB.
            Assert.InRange(state.GuestBytes, (2UL << 30) - MiB, 2UL << 30);
            Assert.Equal(0UL, state.ActualBytes);
        });
    }

    /// <summary>With a polling interval set, fresh statistics reach GET /balloon/statistics and match /proc/meminfo within 5%.</summary>
    [Fact]
    [Order(2)]
    public async Task Statistics_WithPollingInterval_ReachTheApi_AndAgreeWithGuestMeminfo()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.StatisticsAgreeWithMeminfoAsync(guest));
    }

    /// <summary>
    /// Inflating to 1.5 GiB: actual reaches the target, MemFree drops by 1.5 GiB (±2%), and the host memory behind
    /// guest RAM (the memfd's st_blocks, see <see cref="GuestRamFile"/>) drops by at least 95% of 1.5 GiB.
    /// </summary>
    [Fact]
    [Order(3)]
    public async Task Inflate_To1536MiB_ReachesTarget_MemFreeDrops_HostMemoryReleased()
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

    /// <summary>A target larger than guest RAM is refused with 400; the balloon, the daemon and the guest carry on untouched.</summary>
    [Fact]
    [Order(5)]
    public async Task HostileTarget_LargerThanGuestRam_Refused400_GuestUnaffected()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            var before = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            foreach (var target in new[] { 4L << 30, (long)before.GuestBytes + 4096, long.MaxValue & ~4095L })
            {
                var refused = await Assert.ThrowsAsync<BalloonApiException>(() => guest.Api.SetTargetAsync(target));
                Assert.True(refused.StatusCode == 400, $"target {target}: {refused.StatusCode} {refused.Message}");
            }

            var reports = guest.Serial.All("meminfo").Count;
            var meminfo = await guest.FreshMemInfoAsync();
            var after = await guest.StateAsync();
            Assert.True(guest.Serial.All("meminfo").Count > reports, "the guest stopped reporting");
            Assert.False(guest.Qemu.HasExited);
            Assert.False(guest.Daemon.HasExited);
            Assert.True(after.Connected);
            Assert.Equal(before.TargetBytes, after.TargetBytes);
            Assert.Equal(before.ActualBytes, after.ActualBytes);
            var baseline = guest.Serial.All("meminfo")[0];
            var deviation = Math.Abs(Facts.MemFreeKb(meminfo) - Facts.MemFreeKb(baseline)) / (double)Facts.MemFreeKb(baseline);
            Assert.True(deviation <= 0.02, $"MemFree {Facts.MemFreeKb(meminfo)} kB, {Facts.MemFreeKb(baseline)} kB at boot");
        });
    }
}
