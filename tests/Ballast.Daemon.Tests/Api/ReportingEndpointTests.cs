using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Daemon.Tests.Api;

/// <summary>
/// Free page reporting and page poison in <c>GET /balloon</c> and <c>/metrics</c>: reports, valid blocks, reported,
/// released and poison-kept bytes, malformed blocks, poison_val.
/// </summary>
public sealed class ReportingEndpointTests
{
    private const ulong Block = 1 << 20, Page = 4096;

    /// <summary>
    /// A 2 MiB guest whose driver accepted every offered feature and sent one report: a good 64 KiB block and an
    /// unaligned one. With <paramref name="poison"/> the driver wrote that poison_val first.
    /// </summary>
    private static GuestMemory Report(BalloonDevice device, uint poison)
    {
        var memory = GuestMemory.CreateMemfd(2UL << 20, "ballast-reporting-api-test");
        device.Memory = memory;
        device.SetDriverFeatures(device.OfferedFeatures);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, poison);
        device.WriteConfig(12, bytes);
        using var ring = new RingBuilder(8, device.NegotiatedFeatures, memory, 0x10000, 0x20000);
        var index = BalloonQueue.Reporting(device.NegotiatedFeatures);
        device.AttachQueue(index, ring.CreateDevice());
        ring.AddChain(new BufferSegment(Block, (uint)(16 * Page), DeviceWritable: true), new BufferSegment(Block + 1, (uint)Page, DeviceWritable: true));
        Assert.True(device.ProcessQueue(index));
        Assert.True(ring.TryTakeUsed(out _));
        device.AttachQueue(index, null);
        return memory;
    }

    [Theory]
    [InlineData(0u, 16 * Page, 0UL)]
    [InlineData(0xAAAA_AAAAu, 0UL, 16 * Page)]
    public async Task GetBalloon_CarriesTheReportCounters(uint poison, ulong released, ulong kept)
    {
        await using var rig = await ApiRig.StartAsync(new BalloonDeviceOptions { PageReporting = true, PagePoison = true });
        using var memory = Report(rig.Device, poison);

        var state = await rig.Client.GetBalloonAsync();

        Assert.Equal(1UL, state.Reports);
        Assert.Equal(1UL, state.ReportedEntries);
        Assert.Equal(16 * Page, state.ReportedBytes);
        Assert.Equal(released, state.ReportReleasedBytes);
        Assert.Equal(kept, state.ReportPoisonSkippedBytes);
        Assert.Equal(1UL, state.ReportMalformedEntries);
        Assert.Equal(poison, state.PoisonValue);
        Assert.Equal(0UL, state.BalloonedBytes);
        Assert.Contains("page-reporting", state.Features);
        Assert.Contains("page-poison", state.Features);
        rig.Device.Memory = null;
    }

    [Fact]
    public async Task Metrics_CarryTheReportCounters()
    {
        await using var rig = await ApiRig.StartAsync(new BalloonDeviceOptions { PageReporting = true, PagePoison = true });
        using var memory = Report(rig.Device, 0xAAAA_AAAA);

        var metrics = MetricsExposition.Parse(await rig.Client.GetMetricsAsync());

        Assert.Equal(1, metrics.Value("ballast_balloon_reports_total"));
        Assert.Equal(1, metrics.Value("ballast_balloon_reported_entries_total"));
        Assert.Equal(16 * Page, metrics.Value("ballast_balloon_reported_bytes_total"));
        Assert.Equal(0, metrics.Value("ballast_balloon_report_released_bytes_total"));
        Assert.Equal(16 * Page, metrics.Value("ballast_balloon_report_poison_skipped_bytes_total"));
        Assert.Equal(1, metrics.Value("ballast_balloon_report_malformed_entries_total"));
        Assert.Equal(rig.Device.Counters.ReportTicks / (double)System.Diagnostics.Stopwatch.Frequency,
            metrics.Value("ballast_balloon_report_seconds_total"), 6);
        Assert.True(rig.Device.Counters.ReportTicks > 0, "the report's time was not counted");
        Assert.Equal(1, Assert.Single(metrics.Samples, s => s.Name == "ballast_balloon_guest_errors_total" && s.Labels == "kind=\"report_unaligned\"").Value);
        rig.Device.Memory = null;
    }
}
