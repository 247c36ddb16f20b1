using Ballast.Linux;
using Ballast.Balloon.Device;
using Ballast.VhostUser;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// <c>ballast serve</c>'s transport: Ballast.VhostUser's <see cref="VhostUserServer"/> on the <c>--socket</c> path,
/// serving one QEMU at a time. The server announces target changes to QEMU itself (CONFIG_CHANGE_MSG).
/// </summary>
public sealed class VhostUserBackend : IServeBackend, IDisposable
{
    private readonly VhostUserServer _server;

    /// <summary>A server for <paramref name="device"/> on <paramref name="socketPath"/> (bound by <see cref="RunAsync"/>).</summary>
    /// <param name="socketPath">The vhost-user socket.</param>
    /// <param name="access">The peers it serves (and the socket file's owner and mode).</param>
    /// <param name="device">The balloon it serves.</param>
    /// <param name="loggerFactory">Where the server logs.</param>
    /// <param name="allowUnsealedMemory">
    /// Map guest RAM not sealed against shrinking (<see cref="VhostUserServer.AllowUnsealedMemory"/>, <c>--allow-unsealed-memory</c>).
    /// </param>
    /// <param name="leaveSocketFile">The socket was inherited: its file is not this daemon's to remove (<see cref="VhostUserServer.LeaveSocketFile"/>).</param>
    public VhostUserBackend(string socketPath, SocketAccess access, BalloonDevice device, ILoggerFactory loggerFactory, bool allowUnsealedMemory = false,
        bool leaveSocketFile = false) =>
        _server = new VhostUserServer(socketPath, device, loggerFactory)
        {
            Access = access,
            AllowUnsealedMemory = allowUnsealedMemory,
            LeaveSocketFile = leaveSocketFile,
        };

    /// <summary>Builds a <see cref="VhostUserBackend"/>: the transport <c>ballast serve</c> runs by default.</summary>
    public static ServeBackendFactory Factory { get; } = (socketPath, device, loggerFactory, options) =>
        new VhostUserBackend(socketPath, options.ToSocketAccess(), device, loggerFactory, options.AllowUnsealedMemory, options.SocketInherited);

    /// <summary>
    /// Keeps the listener, the connection and the session in <paramref name="worker"/>'s supervisor, and resumes what a
    /// worker before this one kept. Call before <see cref="RunAsync"/>.
    /// </summary>
    public void KeepIn(Supervision.SupervisedWorker worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _server.KeepIn(worker.Store, worker.Kept);
    }

    /// <summary>Serves an inherited listening socket (<see cref="VhostUserServer.Inherit"/>) in a daemon without a supervisor.</summary>
    public void Inherit(VhostUser.Session.ResumeSet inherited) => _server.Inherit(inherited);

    /// <summary>Stops serving for a handover (<see cref="VhostUserServer.HandOver"/>): <see cref="RunAsync"/> then completes.</summary>
    public void HandOver() => _server.HandOver();

    /// <summary>True if the server maps guest RAM that is not sealed against shrinking.</summary>
    internal bool AllowUnsealedMemory => _server.AllowUnsealedMemory;

    /// <inheritdoc/>
    public bool IsConnected => _server.IsConnected;

    /// <inheritdoc/>
    public ulong GuestRamBytes => _server.GuestRamBytes;

    /// <inheritdoc/>
    /// <remarks>
    /// The socket is bound before the task is returned (a bind failure faults the task); the task completes once the
    /// server stopped and removed the socket.
    /// </remarks>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await _server.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _server.Dispose();
        }
    }

    /// <summary>Stops the server if it still runs.</summary>
    public void Dispose() => _server.Dispose();
}
