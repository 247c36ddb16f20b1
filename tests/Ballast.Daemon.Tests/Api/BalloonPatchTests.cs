using System.Net;
using System.Text;
using System.Text.Json;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary><c>PATCH /balloon</c>: a JSON merge patch (RFC 7396) whose one writable member is target_bytes.</summary>
public class BalloonPatchTests
{
    [Fact]
    public async Task Patch_TargetBytes_SetsTheTarget_AndAnswersTheBalloon()
    {
        await using var rig = await ApiRig.StartAsync();
        var changes = 0;
        rig.Device.ConfigChanged += () => Interlocked.Increment(ref changes);

        using var response = await rig.Http.PatchAsync("/balloon", MergePatch("{\"target_bytes\":536870912}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(536870912, json.RootElement.GetProperty("target_bytes").GetInt64());
        Assert.Equal(536870912u / 4096, rig.Device.NumPages);
        Assert.Equal(1, changes);
    }

    [Fact]
    public async Task Patch_WithCharsetParameter_IsAccepted()
    {
        await using var rig = await ApiRig.StartAsync();
        var content = new StringContent("{\"target_bytes\":4096}", Encoding.UTF8);
        content.Headers.ContentType = new("application/merge-patch+json") { CharSet = "utf-8" };

        using var response = await rig.Http.PatchAsync("/balloon", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Patch_EmptyObject_ChangesNothing()
    {
        await using var rig = await ApiRig.StartAsync();
        rig.Device.SetTargetPages(7);

        using var response = await rig.Http.PatchAsync("/balloon", MergePatch("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Client_PatchTargetAsync_ReturnsTheBalloonAfter()
    {
        await using var rig = await ApiRig.StartAsync();

        var state = await rig.Client.PatchTargetAsync(1L << 20);

        Assert.Equal(1UL << 20, state.TargetBytes);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public async Task Patch_OtherContentType_Is415(string contentType)
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.PatchAsync("/balloon", new StringContent("{\"target_bytes\":4096}", Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/merge-patch+json", await ErrorAsync(response), StringComparison.Ordinal);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Theory]
    [InlineData("{\"actual_bytes\":4096}", "actual_bytes is read-only")]
    [InlineData("{\"target\":4096}", "unknown member target")]
    [InlineData("{\"target_bytes\":null}", "target_bytes cannot be removed")]
    [InlineData("{\"target_bytes\":\"4096\"}", "target_bytes must be a whole number")]
    [InlineData("{\"target_bytes\":4096.5}", "target_bytes must be a whole number")]
    [InlineData("{\"target_bytes\":1000}", "must be a multiple of 4096")]
    [InlineData("{\"target_bytes\":-4096}", "must not be negative")]
    [InlineData("{\"target_bytes\":2147483648}", "is more than the guest's RAM")]
    [InlineData("[4096]", "is a JSON object")]
    [InlineData("{\"target_bytes\":", "not valid JSON")]
    [InlineData("", "needs a JSON body")]
    public async Task Patch_Bad_Is400WithASentence(string body, string message)
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.PatchAsync("/balloon", MergePatch(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await ErrorAsync(response), StringComparison.Ordinal);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task Patch_WithoutGuest_Is409()
    {
        await using var rig = await ApiRig.StartAsync(backend: new FakeBalloonBackend { IsConnected = false });

        using var response = await rig.Http.PatchAsync("/balloon", MergePatch("{\"target_bytes\":4096}"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no guest is connected", await ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_TooLarge_Is413()
    {
        await using var rig = await ApiRig.StartAsync();

        // Expect: 100-continue (as in ApiProtocolTests): refused on the declared length before the body is sent, so the
        // client is not still writing when the server answers and closes.
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/balloon") { Content = MergePatch("{\"target_bytes\":4096" + new string(' ', 70_000) + "}") };
        request.Headers.ExpectContinue = true;
        using var response = await rig.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task OtherMethod_Is405_NamingPatchAsAllowed()
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.DeleteAsync("/balloon");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("PATCH", await ErrorAsync(response), StringComparison.Ordinal);
    }

    private static StringContent MergePatch(string body) => new(body, Encoding.UTF8, "application/merge-patch+json");

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }
}
