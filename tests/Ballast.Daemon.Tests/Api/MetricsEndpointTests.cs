using Ballast.Balloon.Device;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>GET /metrics: Prometheus text exposition format 0.0.4, parsed line by line.</summary>
public partial class MetricsEndpointTests
{
    [Fact]
    public async Task Get_IsPrometheusText()
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.GetAsync("/metrics");

        response.EnsureSuccessStatusCode();
        var type = response.Content.Headers.ContentType!;
        Assert.Equal("text/plain", type.MediaType);
        Assert.Contains(type.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EverySampleHasHelpAndType_CountersEndInTotal()
    {
        await using var rig = await ApiRig.StartAsync();

        var metrics = MetricsExposition.Parse(await rig.Client.GetMetricsAsync());

        Assert.NotEmpty(metrics.Samples);
        foreach (var sample in metrics.Samples)
        {
            Assert.StartsWith(MetricsWriter.Prefix, sample.Name, StringComparison.Ordinal);
            Assert.True(metrics.Help.ContainsKey(sample.Name), $"no HELP for {sample.Name}");
            var type = metrics.Types[sample.Name];
            Assert.Contains(type, new[] { "counter", "gauge" });
            Assert.Equal(type == "counter", sample.Name.EndsWith("_total", StringComparison.Ordinal));
        }
        // HELP and TYPE once per family, and each family's lines together.
        Assert.Equal(metrics.Help.Count, metrics.Samples.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public async Task ReportsCountersGaugesAndEachErrorKind()
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(1024);
        rig.Device.SetTargetPages(2048);
        rig.SetActualPages(512);
        using (var guest = new StatsQueueRig(rig.Device))
        {
            guest.Send((StatTag.FreeMemory, 1));
        }

        var metrics = MetricsExposition.Parse(await rig.Client.GetMetricsAsync());

        Assert.Equal(2048L * 4096, metrics.Value("ballast_balloon_target_bytes"));
        Assert.Equal(512L * 4096, metrics.Value("ballast_balloon_actual_bytes"));
        Assert.Equal(0, metrics.Value("ballast_balloon_ballooned_bytes"));
        Assert.Equal(1, metrics.Value("ballast_balloon_connected"));
        Assert.Equal(1L << 30, metrics.Value("ballast_balloon_guest_bytes"));
        Assert.Equal(2, metrics.Value("ballast_balloon_config_changes_total"));
        Assert.Equal(1, metrics.Value("ballast_balloon_kicks_total"));
        Assert.Equal(1, metrics.Value("ballast_balloon_stats_updates_total"));
        foreach (var name in new[] { "pages_inflated_total", "pages_deflated_total", "replayed_pages_total", "release_calls_total", "released_bytes_total", "interrupts_total" })
            Assert.Equal(0, metrics.Value(MetricsWriter.Prefix + name));

        var errorKinds = metrics.Samples.Where(s => s.Name == "ballast_balloon_guest_errors_total").Select(s => s.Labels).ToList();
        Assert.Equal(Enum.GetValues<BalloonError>().Select(k => $"kind=\"{MetricsWriter.ErrorKindLabel(k)}\""), errorKinds);
        Assert.Contains("kind=\"pfn_out_of_range\"", errorKinds);
        Assert.Contains("kind=\"bad_stats_buffer\"", errorKinds);
    }

    [Fact]
    public async Task ConnectedGauge_FollowsTheBackend()
    {
        var backend = new FakeBalloonBackend { IsConnected = false, GuestRamBytes = 0 };
        await using var rig = await ApiRig.StartAsync(backend: backend);

        Assert.Equal(0, MetricsExposition.Parse(await rig.Client.GetMetricsAsync()).Value("ballast_balloon_connected"));
        backend.IsConnected = true;
        Assert.Equal(1, MetricsExposition.Parse(await rig.Client.GetMetricsAsync()).Value("ballast_balloon_connected"));
    }

    [Fact]
    public void ErrorKindLabel_IsSnakeCase()
    {
        Assert.Equal("bad_chain", MetricsWriter.ErrorKindLabel(BalloonError.BadChain));
        Assert.Equal("sg_outside_ram", MetricsWriter.ErrorKindLabel(BalloonError.SgOutsideRam));
        Assert.Equal("release_failed", MetricsWriter.ErrorKindLabel(BalloonError.ReleaseFailed));
    }
}
