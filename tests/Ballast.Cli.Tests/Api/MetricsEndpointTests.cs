using System.Globalization;
using System.Text.RegularExpressions;
using Ballast.Balloon.Device;
using Ballast.Cli.Serve;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests.Api;

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

        var metrics = Parse(await rig.Client.GetMetricsAsync());

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

        var metrics = Parse(await rig.Client.GetMetricsAsync());

        Assert.Equal(2048L * 4096, metrics.Value("ballast_balloon_target_bytes"));
        Assert.Equal(512L * 4096, metrics.Value("ballast_balloon_actual_bytes"));
        Assert.Equal(0, metrics.Value("ballast_balloon_ballooned_bytes"));
        Assert.Equal(1, metrics.Value("ballast_balloon_connected"));
        Assert.Equal(1L << 30, metrics.Value("ballast_balloon_guest_bytes"));
        Assert.Equal(2, metrics.Value("ballast_balloon_config_changes_total"));
        Assert.Equal(1, metrics.Value("ballast_balloon_kicks_total"));
        Assert.Equal(1, metrics.Value("ballast_balloon_stats_updates_total"));
        foreach (var name in new[] { "pages_inflated_total", "pages_deflated_total", "release_calls_total", "released_bytes_total", "interrupts_total" })
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

        Assert.Equal(0, Parse(await rig.Client.GetMetricsAsync()).Value("ballast_balloon_connected"));
        backend.IsConnected = true;
        Assert.Equal(1, Parse(await rig.Client.GetMetricsAsync()).Value("ballast_balloon_connected"));
    }

    [Fact]
    public void ErrorKindLabel_IsSnakeCase()
    {
        Assert.Equal("bad_chain", MetricsWriter.ErrorKindLabel(BalloonError.BadChain));
        Assert.Equal("sg_outside_ram", MetricsWriter.ErrorKindLabel(BalloonError.SgOutsideRam));
        Assert.Equal("release_failed", MetricsWriter.ErrorKindLabel(BalloonError.ReleaseFailed));
    }

    internal sealed record Sample(string Name, string Labels, double Value);

    internal sealed class Exposition
    {
        public Dictionary<string, string> Help { get; } = [];

        public Dictionary<string, string> Types { get; } = [];

        public List<Sample> Samples { get; } = [];

        public double Value(string name) => Assert.Single(Samples, s => s.Name == name).Value;
    }

    /// <summary>A strict reader of the text format: every line is HELP, TYPE or a sample; nothing else.</summary>
    internal static Exposition Parse(string text)
    {
        var result = new Exposition();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (HelpLine().Match(line) is { Success: true } help)
            {
                Assert.True(result.Help.TryAdd(help.Groups[1].Value, help.Groups[2].Value), $"second HELP: {line}");
                continue;
            }
            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.True(result.Help.ContainsKey(type.Groups[1].Value), $"TYPE before HELP: {line}");
                Assert.True(result.Types.TryAdd(type.Groups[1].Value, type.Groups[2].Value), $"second TYPE: {line}");
                continue;
            }
            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a metrics line: '{line}'");
            Assert.True(result.Types.ContainsKey(sample.Groups[1].Value), $"sample before its TYPE: {line}");
            result.Samples.Add(new Sample(sample.Groups[1].Value, sample.Groups[2].Value,
                double.Parse(sample.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return result;
    }

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*=""[^""]*"",?)*)\})? (-?[0-9.eE+]+)$")]
    private static partial Regex SampleLine();
}
