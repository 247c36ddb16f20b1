using Ballast.Linux;
using System.Net.Sockets;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// The management API of <c>ballast serve</c> (routes in <see cref="ApiRoutes"/>): Kestrel on a Unix socket,
/// HTTP/1.1 only, minimal-API endpoints with source-generated JSON. The socket is bound here and restricted to
/// mode 0600 before Kestrel listens on it (until then connect(2) is refused), and each connection's peer is
/// checked (SO_PEERCRED): only this user and root are served; a peer whose credentials cannot be read is refused.
/// </summary>
public sealed partial class ManagementApi : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(1);

    private readonly WebApplication _app;
    private readonly BalloonDevice _device;
    private readonly IBalloonBackend _backend;
    private readonly StatisticsPoller _poller;
    private readonly BalloonChanges _changes;
    private readonly ILogger _logger;
    private readonly uint _ownUserId = UnixSocketFile.EffectiveUserId;
    private readonly Socket _listener;
    private int _disposed;
    private VhostUser.Session.IDescriptorStore? _store;

    private ManagementApi(string socketPath, Socket listener, BalloonDevice device, IBalloonBackend backend, StatisticsPoller poller,
        ILoggerFactory loggerFactory)
    {
        SocketPath = socketPath;
        _listener = listener;
        _device = device;
        _backend = backend;
        _poller = poller;
        _changes = new BalloonChanges(device);
        _logger = loggerFactory.CreateLogger<ManagementApi>();

        // The empty builder reads no configuration files or environment (no ASPNETCORE_URLS surprises).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "ballast" });
        builder.Services.AddSingleton(loggerFactory);
        // Ctrl+C and SIGTERM belong to the command line (System.CommandLine cancels serve); not to the web host.
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ApiRoutes.MaxBodyBytes;
            // Kestrel listens on our bound socket (it does not own the descriptor; DisposeAsync closes it).
            kestrel.ListenHandle((ulong)listener.Handle, listen =>
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

    /// <summary>
    /// A handover: disposing leaves the API as it is — its socket kept, its file in place, Kestrel not stopped (that
    /// would shut the shared socket down); the process exits next. The next worker serves the same socket (requests
    /// that arrive in between wait in its backlog).
    /// </summary>
    public void LeaveKept() => _leaveKept = true;

    private bool _leaveKept;

    /// <summary>The name the API's listening socket is kept under by a supervisor.</summary>
    public const string ApiKeptName = "api";

    /// <summary>
    /// The socket belongs to a systemd socket unit: on exit its file stays, and Kestrel is not stopped (that would shut
    /// down the very socket systemd listens on for the next start); the process exits next.
    /// </summary>
    public bool LeaveSocketFile { get; set; }

    /// <summary>The balloon's version that long-polls wait on.</summary>
    internal BalloonChanges Changes => _changes;

    /// <summary>The API socket's absolute path.</summary>
    public string SocketPath { get; }

    /// <summary>
    /// Claims <paramref name="socketPath"/> (<see cref="UnixSocketFile.Claim"/>), binds a socket there, restricts it to
    /// mode 0600, and only then starts serving the API for <paramref name="device"/> on it.
    /// </summary>
    /// <exception cref="IOException">The path is taken, or the socket could not be bound or restricted.</exception>
    /// <param name="socketPath">The API socket.</param>
    /// <param name="device">The balloon.</param>
    /// <param name="backend">The transport serving it.</param>
    /// <param name="poller">The statistics poller.</param>
    /// <param name="loggerFactory">Where the API logs.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <param name="worker">
    /// The supervisor's worker context: the listening socket is kept there (<see cref="ApiKeptName"/>), and a worker
    /// before this one's socket, if kept, is served instead of binding the path again. Null without a supervisor.
    /// </param>
    /// <param name="inherited">
    /// Without a supervisor: sockets this process was started with (a systemd socket unit's); an <see cref="ApiKeptName"/>
    /// among them is served, and its file left in place on exit.
    /// </param>
    public static async Task<ManagementApi> StartAsync(string socketPath, BalloonDevice device, IBalloonBackend backend,
        StatisticsPoller poller, ILoggerFactory loggerFactory, CancellationToken ct = default, Supervision.SupervisedWorker? worker = null,
        VhostUser.Session.ResumeSet? inherited = null)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(poller);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var path = Path.GetFullPath(socketPath);
        Socket listener;
        if ((worker?.Kept ?? inherited)?.Take(ApiKeptName) is { } kept)
            listener = new Socket(new SafeSocketHandle(kept, ownsHandle: true));
        else
        {
            UnixSocketFile.Claim(path);
            listener = BindRestricted(path);
        }
        worker?.Store.Keep(ApiKeptName, (int)listener.Handle);
        ManagementApi api;
        try
        {
            api = new ManagementApi(path, listener, device, backend, poller, loggerFactory);
        }
        catch
        {
            listener.Dispose();
            UnixSocketFile.Remove(path);
            throw;
        }
        try
        {
            await api._app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await api.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        api._store = worker?.Store;
        DaemonLog.ApiListening(api._logger, path);
        return api;
    }

    /// <summary>Stops serving (in-flight requests get up to a second) and removes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _changes.Dispose();
        // Stopping Kestrel shuts its listening socket down (shutdown(2) acts on the socket, every copy of it): after
        // a handover the next worker listens on that very socket, so this one leaves it alone and just goes.
        if (_leaveKept || LeaveSocketFile)
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
        // Bounded too: Kestrel listens on a descriptor it does not own (ListenHandle), and a shutdown that waits
        // for its accept loop must never keep the daemon from exiting; whatever hangs here, the socket is closed and
        // removed anyway. (A defensive bound: the one "serve does not exit" seen was a SIGINT ignored by the launcher.)
        try
        {
            await _app.DisposeAsync().AsTask().WaitAsync(s_stopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            DaemonLog.ApiShutdownTimedOut(_logger, s_stopTimeout.TotalSeconds);
        }
        _listener.Dispose();
        _store?.Drop(ApiKeptName);
        if (!LeaveSocketFile && UnixSocketFile.Remove(SocketPath))
            DaemonLog.SocketRemoved(_logger, SocketPath);
    }

    /// <summary>
    /// A Unix socket bound at <paramref name="path"/>, not yet listening, with the file's mode already 0600: nobody
    /// can connect until Kestrel listens, and by then only this user and root can.
    /// </summary>
    /// <exception cref="IOException">The socket cannot be bound or restricted.</exception>
    private static Socket BindRestricted(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            UnixSocketFile.Restrict(path, SocketAccess.OwnerOnly);
            return listener;
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"cannot bind '{path}': {ex.Message}", ex);
        }
        catch
        {
            listener.Dispose();
            UnixSocketFile.Remove(path);
            throw;
        }
    }

    private async Task ServeOwnerOnlyAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var peer = socket is null ? null : PeerCredentials.Read(socket);
        if (!IsAllowedPeer(peer, _ownUserId))
        {
            if (peer is null)
                DaemonLog.RefusedUnknownPeer(_logger);
            else
                DaemonLog.RefusedPeer(_logger, peer.ProcessId, peer.UserId, peer.GroupId, _ownUserId);
            connection.Abort();
            return;
        }
        await next(connection).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="peer"/> may use the API of a daemon running as <paramref name="ownUserId"/>: the same
    /// user or root (<see cref="SocketAccess.OwnerOnly"/>). A peer whose credentials are unknown is refused: the
    /// check fails closed rather than trusting the file mode alone.
    /// </summary>
    internal static bool IsAllowedPeer(PeerCredentials? peer, uint ownUserId) => SocketAccess.OwnerOnly.Allows(peer, ownUserId);

    /// <summary>An <see cref="IHostLifetime"/> that leaves signals alone.</summary>
    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
