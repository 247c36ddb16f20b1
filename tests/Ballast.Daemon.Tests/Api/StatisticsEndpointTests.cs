using System.Globalization;
using System.Net;
using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>GET and PUT /balloon/statistics, with statistics fed through a real stats queue.</summary>
public class StatisticsEndpointTests
{
    [Fact]
    public async Task Get_BeforeAnyStatistics_Is404()
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.GetAsync("/balloon/statistics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no statistics yet", await BalloonTargetValidationTests.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_WithStatsFeatureOff_Is404SayingSo()
    {
        await using var rig = await ApiRig.StartAsync(new BalloonDeviceOptions { StatsQueue = false });

        using var response = await rig.Http.GetAsync("/balloon/statistics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("stats feature is off", await BalloonTargetValidationTests.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_AfterGuestSentStatistics_ReportsEachByNameAndNullForTheRest()
    {
        await using var rig = await ApiRig.StartAsync(pollingSeconds: 30);
        using var guest = new StatsQueueRig(rig.Device);
        var before = DateTimeOffset.UtcNow;
        guest.Send((StatTag.FreeMemory, 123 << 20), (StatTag.TotalMemory, 1UL << 30), (StatTag.MajorFaults, 7), (StatTag.DirectReclaims, 9));

        using var response = await rig.Http.GetAsync("/balloon/statistics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(123L << 20, root.GetProperty("free_memory").GetInt64());
        Assert.Equal(1L << 30, root.GetProperty("total_memory").GetInt64());
        Assert.Equal(7, root.GetProperty("major_faults").GetInt64());
        Assert.Equal(9, root.GetProperty("direct_reclaims").GetInt64());
        foreach (var tag in new[] { StatTag.SwapIn, StatTag.AvailableMemory, StatTag.OomKills, StatTag.HugetlbFailures })
            Assert.Equal(JsonValueKind.Null, root.GetProperty(BalloonStatistics.ApiName(tag)).ValueKind);
        Assert.Equal(30, root.GetProperty("polling_interval_s").GetInt32());
        var updatedAt = DateTimeOffset.Parse(root.GetProperty("updated_at").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        Assert.InRange(updatedAt, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(BalloonStatistics.TagCount + 2, root.EnumerateObject().Count());
    }

    [Fact]
    public async Task Report_NamesEveryTagAsTheDeviceDoes()
    {
        // Each tag gets its own value, so a swapped mapping shows.
        var buffer = new byte[BalloonStatistics.TagCount * BalloonStatistics.EntrySize];
        for (var tag = 0; tag < BalloonStatistics.TagCount; tag++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(tag * 10), (ushort)tag);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(tag * 10 + 2), 1000UL + (ulong)tag);
        }
        var statistics = BalloonStatistics.Parse(buffer, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

        var text = JsonSerializer.Serialize(StatisticsReport.From(statistics, 5), ApiJsonContext.Default.StatisticsReport);

        using var json = JsonDocument.Parse(text);
        foreach (var tag in Enum.GetValues<StatTag>())
            Assert.Equal(1000UL + (ulong)tag, json.RootElement.GetProperty(BalloonStatistics.ApiName(tag)).GetUInt64());
        Assert.Equal("2025-01-02T03:04:05+00:00", json.RootElement.GetProperty("updated_at").GetString());
    }

    [Fact]
    public async Task Put_ChangesPollingInterval()
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.PutAsync("/balloon/statistics", BalloonEndpointTests.Json("{\"polling_interval_s\":5}"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(5, rig.Poller.IntervalSeconds);
        await rig.Client.SetPollingIntervalAsync(0);
        Assert.Equal(0, rig.Poller.IntervalSeconds);
    }

    [Theory]
    [InlineData("{\"polling_interval_s\":-1}", "0 (off) to 86400")]
    [InlineData("{\"polling_interval_s\":86401}", "0 (off) to 86400")]
    [InlineData("{}", "needs polling_interval_s")]
    [InlineData("{\"interval\":5}", "unknown property")]
    [InlineData("5", "must be a JSON object")]
    public async Task Put_BadInterval_Is400(string body, string reason)
    {
        await using var rig = await ApiRig.StartAsync(pollingSeconds: 2);

        using var response = await rig.Http.PutAsync("/balloon/statistics", BalloonEndpointTests.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await BalloonTargetValidationTests.ErrorAsync(response), StringComparison.Ordinal);
        Assert.Equal(2, rig.Poller.IntervalSeconds);
    }

    [Fact]
    public async Task Put_WithStatsFeatureOff_Is409()
    {
        await using var rig = await ApiRig.StartAsync(new BalloonDeviceOptions { StatsQueue = false });

        using var response = await rig.Http.PutAsync("/balloon/statistics", BalloonEndpointTests.Json("{\"polling_interval_s\":5}"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(0, rig.Poller.IntervalSeconds);
    }
}
