using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Daemon.Client;
using Ballast.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.TestKit;

/// <summary>
/// The management API served for real on a Unix socket in a temporary directory, over a real (driver-less)
/// <see cref="BalloonDevice"/> and a <see cref="FakeBalloonBackend"/>; with a raw HTTP client and the CLI's client.
/// </summary>
internal sealed class ApiRig : IAsyncDisposable
{
    private ApiRig(TempDirectory directory, BalloonDevice device, FakeBalloonBackend backend, StatisticsPoller poller, ManagementApi api)
    {
        Directory = directory;
        Device = device;
        Backend = backend;
        Poller = poller;
        Api = api;
        Http = UnixHttp.CreateClient(api.SocketPath);
        Client = new BalloonApiClient(api.SocketPath);
    }

    public TempDirectory Directory { get; }

    public BalloonDevice Device { get; }

    public FakeBalloonBackend Backend { get; }

    public StatisticsPoller Poller { get; }

    public ManagementApi Api { get; }

    public string SocketPath => Api.SocketPath;

    public HttpClient Http { get; }

    public BalloonApiClient Client { get; }

    public static async Task<ApiRig> StartAsync(BalloonDeviceOptions? options = null, FakeBalloonBackend? backend = null, int pollingSeconds = 0)
    {
        var directory = new TempDirectory();
        var device = new BalloonDevice(options ?? new BalloonDeviceOptions());
        backend ??= new FakeBalloonBackend();
        var poller = new StatisticsPoller(device, pollingSeconds);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var api = await ManagementApi.StartAsync(directory.File("api.sock"), device, backend, poller, NullLoggerFactory.Instance, timeout.Token);
            return new ApiRig(directory, device, backend, poller, api);
        }
        catch
        {
            poller.Dispose();
            directory.Dispose();
            throw;
        }
    }

    /// <summary>What a driver would write: <c>actual</c> in config space (offset 4, le32), in 4 KiB pages.</summary>
    public void SetActualPages(uint pages) => SetActualPages(Device, pages);

    public static void SetActualPages(BalloonDevice device, uint pages)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, pages);
        device.WriteConfig(4, bytes);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Client.Dispose();
        await Api.DisposeAsync();
        Poller.Dispose();
        Directory.Dispose();
    }
}
