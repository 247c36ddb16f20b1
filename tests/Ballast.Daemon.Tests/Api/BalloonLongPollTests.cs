using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>
/// <c>GET /balloon</c>'s ETag and its long-poll, <c>?wait=S</c> with <c>If-None-Match</c>: woken by the device's own
/// events (actual written, a new target), 304 when the wait runs out.
/// </summary>
public class BalloonLongPollTests
{
    /// <summary>Bounds a request expected to be answered by an event long before its 60 s wait (a hang guard, not a figure).</summary>
    private static readonly TimeSpan s_hangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Get_SendsAWeakETag_AndIfNoneMatchWithIt_Is304()
    {
        await using var rig = await ApiRig.StartAsync();
        using var first = await rig.Http.GetAsync("/balloon");
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/balloon");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await rig.Http.SendAsync(request);

        Assert.True(etag.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(etag, second.Headers.ETag);
    }

    [Fact]
    public async Task Wait_ParkedRequest_IsAnsweredWhenTheDriverWritesActual()
    {
        await using var rig = await ApiRig.StartAsync();
        var etag = (await rig.Client.GetBalloonVersionAsync()).ETag!;
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Api.Changes.Waiting += () => parked.TrySetResult();

        var waiting = rig.Client.WaitForChangeAsync(etag, TimeSpan.FromSeconds(60));
        await parked.Task.WaitAsync(s_hangGuard);
        Assert.False(waiting.IsCompleted);
        rig.SetActualPages(5);
        var change = await waiting.WaitAsync(s_hangGuard);

        Assert.NotNull(change.State);
        Assert.Equal(5UL * 4096, change.State.ActualBytes);
        Assert.NotEqual(etag, change.ETag);
    }

    [Fact]
    public async Task Wait_ParkedRequest_IsAnsweredWhenTheTargetChanges()
    {
        await using var rig = await ApiRig.StartAsync();
        var etag = (await rig.Client.GetBalloonVersionAsync()).ETag!;
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Api.Changes.Waiting += () => parked.TrySetResult();

        var waiting = rig.Client.WaitForChangeAsync(etag, TimeSpan.FromSeconds(60));
        await parked.Task.WaitAsync(s_hangGuard);
        await rig.Client.SetTargetAsync(1 << 20);
        var change = await waiting.WaitAsync(s_hangGuard);

        Assert.Equal(1UL << 20, change.State?.TargetBytes);
    }

    [Fact]
    public async Task Wait_WithAnOlderETag_AnswersAtOnceWithoutWaiting()
    {
        await using var rig = await ApiRig.StartAsync();
        var etag = (await rig.Client.GetBalloonVersionAsync()).ETag!;
        rig.SetActualPages(3);
        var parked = false;
        rig.Api.Changes.Waiting += () => parked = true;

        var change = await rig.Client.WaitForChangeAsync(etag, TimeSpan.FromSeconds(60)).WaitAsync(s_hangGuard);

        Assert.False(parked);
        Assert.Equal(3UL * 4096, change.State?.ActualBytes);
    }

    [Fact]
    public async Task Wait_WithoutAChange_Is304AfterTheWait()
    {
        await using var rig = await ApiRig.StartAsync();
        var etag = (await rig.Client.GetBalloonVersionAsync()).ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/balloon?wait=0.3");
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        var clock = Stopwatch.StartNew();
        using var response = await rig.Http.SendAsync(request);
        var waited = clock.Elapsed;

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        // The server waited out the 0.3 s (20 ms allowed for the timer's coarse resolution).
        Assert.True(waited >= TimeSpan.FromMilliseconds(280), $"answered after {waited.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Client_WaitWithoutAChange_ReturnsNoState()
    {
        await using var rig = await ApiRig.StartAsync();
        var etag = (await rig.Client.GetBalloonVersionAsync()).ETag!;

        var change = await rig.Client.WaitForChangeAsync(etag, TimeSpan.FromMilliseconds(100));

        Assert.Null(change.State);
        Assert.Equal(etag, change.ETag);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("301")]
    [InlineData("soon")]
    [InlineData("1e3")]
    public async Task Wait_BadSeconds_Is400(string wait)
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.GetAsync($"/balloon?wait={wait}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("wait must be a number of seconds", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_ParkedRequest_IsAnswered503WhenTheDaemonStops()
    {
        var rig = await ApiRig.StartAsync();
        HttpResponseMessage response;
        try
        {
            var etag = (await rig.Client.GetBalloonVersionAsync()).ETag!;
            var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            rig.Api.Changes.Waiting += () => parked.TrySetResult();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/balloon?wait=60");
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            var waiting = rig.Http.SendAsync(request);
            await parked.Task.WaitAsync(s_hangGuard);

            await rig.Api.DisposeAsync();
            response = await waiting.WaitAsync(s_hangGuard);
        }
        finally
        {
            await rig.DisposeAsync();
        }

        using (response)
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
