using System.Net;
using System.Text.Json;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>PUT /balloon refusals: 400 for a bad target or body, 409 with no guest; the target never changes.</summary>
public class BalloonTargetValidationTests
{
    [Theory]
    [InlineData("{\"target_bytes\":1000}", "multiple of 4096")]                 // not a whole number of pages
    [InlineData("{\"target_bytes\":-4096}", "must not be negative")]
    [InlineData("{}", "needs target_bytes")]                                    // missing
    [InlineData("{\"target_bytes\":", "not valid JSON")]                        // invalid JSON
    [InlineData("{\"target_bytes\":1073745920}", "more than the guest's RAM")] // 1 GiB + 4 KiB
    [InlineData("", "needs a JSON body")]
    [InlineData("{\"target\":4096}", "unknown property")]
    [InlineData("{\"target_bytes\":\"4096\"}", "must be a whole number")]
    [InlineData("{\"target_bytes\":4096.5}", "must be a whole number")]
    [InlineData("[4096]", "must be a JSON object")]
    [InlineData("null", "must be a JSON object")]
    public async Task Put_BadTarget_Is400WithReason(string body, string reason)
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(3);

        using var response = await rig.Http.PutAsync("/balloon", BalloonEndpointTests.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await ErrorAsync(response), StringComparison.Ordinal);
        Assert.Equal(3u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Put_WithoutGuest_Is409()
    {
        await using var rig = await ApiRig.StartAsync(backend: new FakeBalloonBackend { IsConnected = false, GuestRamBytes = 0 });

        using var response = await rig.Http.PutAsync("/balloon", BalloonEndpointTests.Json("{\"target_bytes\":4096}"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no guest is connected", await ErrorAsync(response), StringComparison.Ordinal);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Put_BadSizeWithoutGuest_Is400First()
    {
        // The request is checked before the device's state.
        await using var rig = await ApiRig.StartAsync(backend: new FakeBalloonBackend { IsConnected = false });

        using var response = await rig.Http.PutAsync("/balloon", BalloonEndpointTests.Json("{\"target_bytes\":1}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>The <c>error</c> of a 4xx body, checking that it is exactly <c>{"error":"…"}</c> JSON.</summary>
    internal static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var property = Assert.Single(json.RootElement.EnumerateObject());
        Assert.Equal("error", property.Name);
        return property.Value.GetString()!;
    }
}
