using Ballast.Balloon.Device;
using Ballast.Cli.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ballast.Cli.Serve;

/// <summary>
/// The management API of <c>ballast serve</c> (routes in <see cref="ApiRoutes"/>): Kestrel on a Unix socket,
/// HTTP/1.1 only, minimal-API endpoints with source-generated JSON. The socket is restricted to mode 0600
/// right after it is bound, and each connection's peer is checked (SO_PEERCRED): only this user and root are
/// served, which also covers a client that connected in the moment between bind and chmod.
/// </summary>
public sealed partial class ManagementApi : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(1);

    private readonly WebApplication _app;
    private readonly BalloonDevice _device;
    private readonly IBalloonBackend _backend;
    private readonly StatisticsPoller _poller;
    private readonly ILogger _logger;
    private readonly uint _ownUserId = UnixSocketFile.EffectiveUserId;
    private int _disposed;

    private ManagementApi(string socketPath, BalloonDevice device, IBalloonBackend backend, StatisticsPoller poller, ILoggerFactory loggerFactory)
    {
        SocketPath = socketPath;
        _device = device;
        _backend = backend;
        _poller = poller;
        _logger = loggerFactory.CreateLogger<ManagementApi>();

        // The empty builder reads no configuration files or environment (no ASPNETCORE_URLS surprises).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = CliApp.ProgramName });
        builder.Services.AddSingleton(loggerFactory);
        // Ctrl+C and SIGTERM belong to the command line (System.CommandLine cancels serve); not to the web host.
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ApiRoutes.MaxBodyBytes;
            kestrel.ListenUnixSocket(socketPath, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection => ServeOwnerOnlyAsync(connection, next));
            });
        });
        _app = builder.Build();
        _app.Use(RefuseLargeBodiesAsync);
        _app.Use(ExplainUnroutedAsync);
        MapEndpoints(_app);
    }

    /// <summary>The API socket's absolute path.</summary>
    public string SocketPath { get; }

    /// <summary>
    /// Claims <paramref name="socketPath"/> (<see cref="UnixSocketFile.Claim"/>), starts serving the API for
    /// <paramref name="device"/> there and restricts the socket to mode 0600.
    /// </summary>
    /// <exception cref="IOException">The path is taken, or the socket could not be bound or restricted.</exception>
    public static async Task<ManagementApi> StartAsync(string socketPath, BalloonDevice device, IBalloonBackend backend,
        StatisticsPoller poller, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(poller);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var path = Path.GetFullPath(socketPath);
        UnixSocketFile.Claim(path);
        var api = new ManagementApi(path, device, backend, poller, loggerFactory);
        try
        {
            await api._app.StartAsync(ct).ConfigureAwait(false);
            UnixSocketFile.RestrictToOwner(path);
        }
        catch
        {
            await api.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        api._logger.LogInformation("management API listening on {Socket} (HTTP/1.1, mode 0600)", path);
        return api;
    }

    /// <summary>Stops serving (in-flight requests get up to a second) and removes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        using (var timeout = new CancellationTokenSource(s_stopTimeout))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        if (UnixSocketFile.Remove(SocketPath))
            _logger.LogDebug("removed {Socket}", SocketPath);
    }

    private async Task ServeOwnerOnlyAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var peer = socket is null ? null : UnixSocketFile.PeerUserId(socket);
        if (!IsAllowedPeer(peer, _ownUserId))
        {
            _logger.LogWarning("refused a management connection from uid {Uid}: only uid {Owner} and root may use the API", peer, _ownUserId);
            connection.Abort();
            return;
        }
        await next(connection).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether a client whose user id is <paramref name="peerUserId"/> may use the API of a daemon running as
    /// <paramref name="ownUserId"/>: the same user or root. An unknown peer (no SO_PEERCRED) is let through: the
    /// socket's mode 0600 already kept other users out.
    /// </summary>
    internal static bool IsAllowedPeer(uint? peerUserId, uint ownUserId) => peerUserId is not { } uid || uid == ownUserId || uid == 0;

    /// <summary>An <see cref="IHostLifetime"/> that leaves signals alone.</summary>
    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
