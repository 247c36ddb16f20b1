using Ballast.Linux;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ballast.Balloon.Device;
using Ballast.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Daemon.Tests.Api;

/// <summary>What the API does regardless of route: body limit, unknown routes and methods, the socket file.</summary>
public class ApiProtocolTests
{
    [Fact]
    public async Task DeclaredBodyOver64KiB_Is413()
    {
        await using var rig = await ApiRig.StartAsync();
        var body = PaddedTarget(64 * 1024 + 1);

        // Expect: 100-continue, as curl sends it for large bodies: the server refuses on the declared length before
        // any body is sent. Without it the client may still be writing the body when the server answers and closes,
        // and the write fails with ECONNRESET before the answer is read (seen once under load).
        using var request = new HttpRequestMessage(HttpMethod.Put, "/balloon") { Content = new ByteArrayContent(body) };
        request.Headers.ExpectContinue = true;
        using var response = await rig.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than 64 KiB", await BalloonTargetValidationTests.ErrorAsync(response), StringComparison.Ordinal);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task ChunkedBodyOver64KiB_Is413()
    {
        await using var rig = await ApiRig.StartAsync();
        // A stream of unknown length: HttpClient sends it chunked, with no Content-Length to refuse early.
        using var content = new StreamContent(new UnseekableStream(PaddedTarget(100_000)));

        using var response = await rig.Http.PutAsync("/balloon", content);

        Assert.Null(content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0u, rig.Device.NumPages);
    }

    [Fact]
    public async Task BodyOfExactly64KiB_IsRead()
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.PutAsync("/balloon", new ByteArrayContent(PaddedTarget(64 * 1024)));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1u, rig.Device.NumPages);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/balloons")]
    [InlineData("/balloon/statistics/x")]
    [InlineData("/metric")]
    public async Task UnknownRoute_Is404(string path)
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no such resource", await BalloonTargetValidationTests.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DELETE", "/balloon", "GET, PATCH, PUT")]
    [InlineData("POST", "/balloon", "GET, PATCH, PUT")]
    [InlineData("PATCH", "/balloon/statistics", "GET, PUT")]
    [InlineData("PUT", "/metrics", "GET")]
    public async Task WrongMethod_Is405WithAllow(string method, string path, string allow)
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        Assert.Contains($"{method} is not allowed on {path}", await BalloonTargetValidationTests.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socket_IsMode0600()
    {
        await using var rig = await ApiRig.StartAsync();

        Assert.True(UnixSocketFile.IsSocket(rig.SocketPath));
        Assert.Equal(UnixMode.OwnerReadWrite, UnixMode.Of(rig.SocketPath));
    }

    [Fact]
    public async Task Dispose_RemovesSocket()
    {
        var rig = await ApiRig.StartAsync();
        var path = rig.SocketPath;

        await rig.DisposeAsync();

        Assert.False(Path.Exists(path));
    }

    [Fact]
    public async Task StaleSocket_IsReplaced()
    {
        using var directory = new TempDirectory();
        var path = directory.File("api.sock");
        LeaveStaleSocket(path);
        Assert.True(UnixSocketFile.IsSocket(path));

        await using var api = await StartApiAsync(path);

        using var http = UnixHttp.CreateClient(path);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/balloon")).StatusCode);
    }

    [Fact]
    public async Task LiveSocket_IsNotTaken()
    {
        await using var rig = await ApiRig.StartAsync();

        var ex = await Assert.ThrowsAsync<IOException>(() => StartApiAsync(rig.SocketPath));

        Assert.Contains("another process is listening", ex.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await rig.Http.GetAsync("/balloon")).StatusCode);
    }

    [Fact]
    public async Task RegularFile_IsNotReplaced()
    {
        using var directory = new TempDirectory();
        var path = directory.File("api.sock");
        await File.WriteAllTextAsync(path, "precious");

        var ex = await Assert.ThrowsAsync<IOException>(() => StartApiAsync(path));

        Assert.Contains("is not a socket", ex.Message, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task PeerUserId_IsOurs()
    {
        await using var rig = await ApiRig.StartAsync();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(rig.SocketPath));

        Assert.Equal(UnixSocketFile.EffectiveUserId, PeerCredentials.Read(socket)?.UserId);
    }

    [Theory]
    [InlineData(1000u, 1000u, true)]
    [InlineData(0u, 1000u, true)]       // root
    [InlineData(1001u, 1000u, false)]
    [InlineData(null, 1000u, false)]    // the kernel did not say: refused (fail closed)
    public void IsAllowedPeer_OwnUserAndRootOnly(uint? peer, uint own, bool allowed)
    {
        Assert.Equal(allowed, ManagementApi.IsAllowedPeer(peer is { } uid ? new PeerCredentials(1, uid, uid) : null, own));
    }

    private static async Task<ManagementApi> StartApiAsync(string path)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        var poller = new StatisticsPoller(device, 0);
        return await ManagementApi.StartAsync(path, device, new FakeBalloonBackend(), poller, NullLoggerFactory.Instance);
    }

    /// <summary>A socket file nobody listens on, as a killed daemon leaves it.</summary>
    internal static void LeaveStaleSocket(string path)
    {
        // Socket.Dispose unlinks the path it bound: bind elsewhere, rename the socket file into place, then close.
        var bound = path + ".tmp";
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(bound));
            File.Move(bound, path);
        }
    }

    /// <summary><c>{"target_bytes":4096}</c> followed by spaces up to <paramref name="length"/> bytes.</summary>
    private static byte[] PaddedTarget(int length)
    {
        var json = Encoding.UTF8.GetBytes("{\"target_bytes\":4096}");
        var body = new byte[length];
        body.AsSpan().Fill((byte)' ');
        json.CopyTo(body, 0);
        return body;
    }

    /// <summary>A read-only stream that does not tell its length.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
