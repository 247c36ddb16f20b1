using System.Net;
using System.Text;
using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>GET and PUT /balloon over a real Unix socket.</summary>
public class BalloonEndpointTests
{
    [Fact]
    public async Task Get_ReportsSizesInBytes()
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(1000);
        var beforeWrite = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        rig.SetActualPages(250);
        var afterWrite = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

        using var response = await rig.Http.GetAsync("/balloon");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(1000L * 4096, root.GetProperty("target_bytes").GetInt64());
        Assert.Equal(250L * 4096, root.GetProperty("actual_bytes").GetInt64());
        Assert.Equal(0, root.GetProperty("ballooned_bytes").GetInt64());
        Assert.Equal(1L << 30, root.GetProperty("guest_bytes").GetInt64());
        Assert.True(root.GetProperty("connected").GetBoolean());
        Assert.Equal(0, root.GetProperty("release_pending_bytes").GetInt64());
        Assert.Equal("4k", root.GetProperty("backing").GetString());          // the fake backend has no guest memory
        Assert.Equal(4096, root.GetProperty("host_page_bytes").GetInt64());
        Assert.Equal("host-page", root.GetProperty("release_granularity").GetString());
        Assert.Equal(0, root.GetProperty("partial_host_page_bytes").GetInt64());
        foreach (var report in new[] { "reports", "reported_entries", "reported_bytes", "report_released_bytes", "report_poison_skipped_bytes", "report_malformed_entries", "poison_value" })
            Assert.Equal(0, root.GetProperty(report).GetInt64());
        Assert.InRange(root.GetProperty("actual_written_unix_us").GetInt64(), beforeWrite, afterWrite);
        Assert.Equal(19, root.EnumerateObject().Count());
    }

    [Fact]
    public async Task Get_WithoutGuest_ReportsOfferedFeaturesAndNoRam()
    {
        var backend = new FakeBalloonBackend { IsConnected = false, GuestRamBytes = 0 };
        var options = new BalloonDeviceOptions { MustTellHost = true, StatsQueue = true, DeflateOnOom = true, ScatterGather = true };
        await using var rig = await ApiRig.StartAsync(options, backend);

        var state = await rig.Client.GetBalloonAsync();

        Assert.False(state.Connected);
        Assert.Equal(0UL, state.GuestBytes);
        Assert.Equal(["must-tell-host", "stats", "deflate-on-oom", "sg"], state.Features);
    }

    [Fact]
    public async Task Get_WithGuest_ReportsNegotiatedFeatures()
    {
        var options = new BalloonDeviceOptions { StatsQueue = true, DeflateOnOom = true, ScatterGather = true, SgBit = 7 };
        await using var rig = await ApiRig.StartAsync(options);
        // The driver takes stats and SG but not DEFLATE_ON_OOM.
        rig.Device.SetDriverFeatures((1UL << BalloonFeatures.StatsVq) | (1UL << 7) | (1UL << 32));

        var state = await rig.Client.GetBalloonAsync();

        Assert.True(state.Connected);
        Assert.Equal(["stats", "sg"], state.Features);
    }

    [Fact]
    public async Task Get_WithGuestBeforeNegotiation_ReportsNoFeatures()
    {
        await using var rig = await ApiRig.StartAsync();

        var state = await rig.Client.GetBalloonAsync();

        Assert.Empty(state.Features);
    }

    [Fact]
    public async Task Put_SetsTargetPagesAndRaisesConfigChanged()
    {
        await using var rig = await ApiRig.StartAsync();
        var changes = 0;
        rig.Device.ConfigChanged += () => Interlocked.Increment(ref changes);

        using var response = await rig.Http.PutAsync("/balloon", Json("{\"target_bytes\":536870912}"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(536870912u / 4096, rig.Device.NumPages);
        Assert.Equal(1, changes);
        Assert.Equal(536870912UL, (await rig.Client.GetBalloonAsync()).TargetBytes);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L << 30)]
    public async Task Put_AcceptsZeroAndAllOfGuestRam(long target)
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(7);

        await rig.Client.SetTargetAsync(target);

        Assert.Equal((uint)(target / 4096), rig.Device.NumPages);
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
