using Ballast.Linux;
using System.Runtime.InteropServices;
using Ballast.Virtio;
using Ballast.VhostUser.Backend;
using Ballast.VhostUser.Session;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.VhostUser;

/// <summary>
/// The balloon device as a vhost-user back-end (QEMU's docs/interop/vhost-user.rst). QEMU ≥ 10.2 connects as the
/// client with <c>-chardev socket,id=vb,path=SOCKET -device vhost-user-test-device,chardev=vb,virtio-id=5,num_vqs=N,config_size=8</c>
/// (num_vqs: 3 with the stats queue, else 2); the guest's stock virtio_balloon driver then talks to
/// <see cref="IVirtioDevice"/> through shared memory, eventfds and this socket.
/// </summary>
/// <remarks>
/// Only peers <see cref="Access"/> allows are served: the socket file is created mode 0600 (0660 for a group) before
/// it listens, and every accepted connection's credentials (SO_PEERCRED) are checked; a refusal is logged with the
/// peer's pid, uid and gid, and the connection closed.
/// One front-end at a time: a second one is refused (closed, with a log line). When the front-end leaves or
/// misbehaves, every ring stops, guest memory is unmapped, the device is reset — its target survives — and the
/// server waits for the next one. Each connection is served by its own event-loop thread; a new target set with
/// A configuration change the device raises (<see cref="IVirtioDevice.ConfigChanged"/>) is announced to the front-end (CONFIG_CHANGE_MSG) from the thread
/// that set it. The server owns <see cref="IVirtioDevice.Memory"/> and the device's queues.
/// Checked by hand against QEMU 11.1.3 (microvm, TCG) with Linux 6.1's stock virtio_balloon: handshake, inflate to a
/// target announced with CONFIG_CHANGE_MSG, statistics, deflate, SIGKILL and reconnect, SIGTERM shutdown
/// (SET_VRING_ENABLE 0 + GET_VRING_BASE).
/// </remarks>
public sealed class VhostUserServer : IDisposable
{
    private const int Backlog = 4;

    /// <summary>How long a session may take to end once asked; it always does (every wait in it is bounded).</summary>
    private static readonly TimeSpan SessionEndTimeout = TimeSpan.FromSeconds(60);

    private readonly IVirtioDevice _device;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly uint _ownUserId = UnixSocketFile.EffectiveUserId;
    private readonly Lock _lock = new();
    private readonly EventFd _stop = new();
    private readonly EventFd _ended = new();
    private BackendConnection? _current;
    private Thread? _acceptThread;
    private bool _disposed;

    /// <summary>Creates a server for <paramref name="device"/> on <paramref name="socketPath"/>; <see cref="RunAsync"/> binds it.</summary>
    public VhostUserServer(string socketPath, IVirtioDevice device, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(device);
        SocketPath = socketPath;
        _device = device;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<VhostUserServer>();
        _device.ConfigChanged += OnConfigChanged;
    }

    /// <summary>The Unix socket path the server listens on.</summary>
    public string SocketPath { get; }

    /// <summary>True while a front-end is connected.</summary>
    public bool IsConnected => Volatile.Read(ref _current) is not null;

    /// <summary>Sum of the current memory table's region sizes; 0 with no table (or no front-end).</summary>
    public ulong GuestRamBytes => Volatile.Read(ref _current)?.GuestRamBytes ?? 0;

    /// <summary>Raised with true when a front-end connects and false when it is gone (after cleanup), on the server's thread.</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>
    /// Accept guest RAM whose file is not sealed against shrinking (F_SEAL_SHRINK), with a warning, instead of refusing
    /// SET_MEM_TABLE. Off by default: a front-end that truncates such a file after SET_MEM_TABLE makes the daemon's
    /// next access to the lost pages fault with SIGBUS, which ends the process. File-backed guest RAM (QEMU's
    /// <c>memory-backend-file</c> on hugetlbfs or tmpfs) cannot be sealed; turn this on for it only when the front-end
    /// is trusted never to truncate the file. QEMU's <c>memory-backend-memfd</c> is sealed by default (seal=on).
    /// </summary>
    public bool AllowUnsealedMemory { get; init; }

    /// <summary>
    /// Who may connect: the socket file's owner, group and mode, and the peers accepted (default: this process's
    /// user and root, mode 0600). Set before <see cref="RunAsync"/>.
    /// </summary>
    public SocketAccess Access { get; init; } = SocketAccess.OwnerOnly;

    /// <summary>
    /// Where the listening socket, the connection and every descriptor of the session are kept outside this process
    /// (<see cref="IDescriptorStore"/>); null keeps nothing (a killed process then closes QEMU's connection).
    /// </summary>
    public IDescriptorStore? Store { get; private set; }

    /// <summary>
    /// Descriptors a process before this one kept (<see cref="Store"/>): with a listener, it is served instead of
    /// binding the path; with a connection and its record, that session is resumed. Taken by <see cref="RunAsync"/>.
    /// </summary>
    public ResumeSet? ResumeFrom { get; private set; }

    /// <summary>Sets <see cref="Store"/> and <see cref="ResumeFrom"/>; before <see cref="RunAsync"/>.</summary>
    public void KeepIn(IDescriptorStore store, ResumeSet? resumeFrom)
    {
        ArgumentNullException.ThrowIfNull(store);
        lock (_lock)
        {
            if (_acceptThread is not null)
                throw new InvalidOperationException("the server already runs");
            Store = store;
            ResumeFrom = resumeFrom;
        }
    }

    /// <summary>
    /// Serves listening sockets this process was started with (a systemd socket unit's, <c>--fd</c>): a
    /// <see cref="SessionNames.Listener"/> in <paramref name="inherited"/> is served instead of binding
    /// <see cref="SocketPath"/>. Without a <see cref="Store"/>; before <see cref="RunAsync"/>.
    /// </summary>
    public void Inherit(ResumeSet inherited)
    {
        ArgumentNullException.ThrowIfNull(inherited);
        lock (_lock)
        {
            if (_acceptThread is not null)
                throw new InvalidOperationException("the server already runs");
            ResumeFrom = inherited;
        }
    }

    /// <summary>
    /// Leave the socket file in place when the server stops: it belongs to whoever made the socket (a systemd socket
    /// unit listens on it again for the next start).
    /// </summary>
    public bool LeaveSocketFile { get; init; }

    /// <summary>How long a started message may take to arrive and a reply to leave before the front-end is dropped.</summary>
    internal int IoTimeoutMs { get; set; } = 5000;

    /// <summary>How long a new client waits for a departing front-end's session to finish before it is refused.</summary>
    internal int HandoverGraceMs { get; set; } = 500;

    /// <summary>
    /// Binds the socket (removing a stale socket file; a live one, or a file that is not a socket, is an
    /// <see cref="IOException"/>), gives the file <see cref="Access"/>'s owner and mode, listens, and serves one
    /// front-end at a time until <paramref name="ct"/> is cancelled. The socket is bound
    /// before this method returns, so a client may connect as soon as it has the task. The task completes (without
    /// an exception) once the server stopped and the socket file is gone; misbehaving front-ends never fault it.
    /// </summary>
    public Task RunAsync(CancellationToken ct)
    {
        UnixSocket listener;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_acceptThread is not null)
                throw new InvalidOperationException("the server is already running");
            try
            {
                listener = ResumeFrom?.Take(SessionNames.Listener) is { } kept ? UnixSocket.FromDescriptor(kept) : Bind();
                Store?.Keep(SessionNames.Listener, listener.Fd);
            }
            catch (Exception e) when (e is IOException or SyscallException or InvalidOperationException or ArgumentException)
            {
                return Task.FromException(e);
            }
            _stop.TryConsume();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (ResumeFrom is { } resume && resume.Take(SessionNames.Connection) is { } connectionFd)
                ResumeSession(UnixSocket.FromDescriptor(connectionFd), resume);
            _acceptThread = new Thread(() => AcceptLoop(listener, ct, done)) { IsBackground = true, Name = "ballast-vhost-accept" };
            _acceptThread.Start();
            BackendLog.Listening(_logger, SocketPath, Convert.ToString((int)Access.Mode, 8), Access.Describe(_ownUserId));
            return done.Task;
        }
    }

    /// <summary>
    /// Claims the path, binds, restricts the file, then listens: connect(2) is refused until listen(2), so nobody
    /// connects while the file still has the umask's mode.
    /// </summary>
    private UnixSocket Bind()
    {
        UnixSocketFile.Claim(SocketPath);
        var listener = UnixSocket.Bind(SocketPath);
        try
        {
            UnixSocketFile.Restrict(SocketPath, Access);
            listener.Listen(Backlog, SocketPath);
            return listener;
        }
        catch
        {
            listener.Dispose();
            UnixSocketFile.Remove(SocketPath);
            throw;
        }
    }

    private void AcceptLoop(UnixSocket listener, CancellationToken ct, TaskCompletionSource done)
    {
        using var registration = ct.Register(() => _stop.Signal());
        try
        {
            Serve(listener);
        }
        catch (Exception e)
        {
            BackendLog.ConnectionFailed(_logger, e);
        }
        finally
        {
            var handover = Volatile.Read(ref _handover);
            var current = Volatile.Read(ref _current);
            if (current is not null)
            {
                if (handover)
                    current.StopForHandover();
                else
                    current.Stop();
                FinishConnection(current);
            }
            listener.Dispose();
            if (!handover)
            {
                Store?.Drop(SessionNames.Listener);
                // Best effort: a stale socket file is removed by the next run anyway.
                if (!LeaveSocketFile)
                    UnixSocketFile.Remove(SocketPath);
            }
            BackendLog.Stopped(_logger, SocketPath);
            lock (_lock)
                _acceptThread = null;
            done.TrySetResult();
        }
    }

    private unsafe void Serve(UnixSocket listener)
    {
        var fds = stackalloc Libc.pollfd[3];
        while (true)
        {
            fds[0] = new Libc.pollfd { fd = _stop.Fd, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _ended.Fd, events = Libc.POLLIN };
            fds[2] = new Libc.pollfd { fd = listener.Fd, events = Libc.POLLIN };
            if (Libc.poll(fds, 3, -1) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                throw new SyscallException("poll", errno);
            }
            if (fds[0].revents != 0)
                return;
            if (fds[1].revents != 0)
                ReapEndedConnection();
            if (fds[2].revents != 0)
                AcceptOne(listener);
        }
    }

    private void AcceptOne(UnixSocket listener)
    {
        var socket = listener.Accept();
        if (socket is null)
            return;
        if (!IsAllowed(socket))
        {
            socket.Dispose();
            return;
        }
        // A front-end that reconnects right after leaving may arrive before its old session is cleaned up.
        if (Volatile.Read(ref _current) is not null && _ended.Wait(HandoverGraceMs) != 0)
            ReapEndedConnection();
        if (Volatile.Read(ref _current) is not null)
        {
            BackendLog.RefusedSecondClient(_logger, SocketPath);
            socket.Dispose();
            return;
        }
        var connection = NewConnection(socket);
        if (Store is not null)
        {
            // Kept before the first byte is read: from here on a SIGKILL of this process does not close it.
            Store.Keep(SessionNames.Connection, socket.Fd);
            connection.KeepIn(new SessionKeeper(Store, SessionRecord.Create()));
        }
        Volatile.Write(ref _current, connection);
        BackendLog.Connected(_logger, SocketPath);
        RaiseConnectionChanged(true);
        connection.Start();
    }

    private BackendConnection NewConnection(UnixSocket socket) =>
        new(socket, _device, _loggerFactory.CreateLogger<BackendConnection>(), IoTimeoutMs, (_, _) => _ended.Signal(), AllowUnsealedMemory);

    /// <summary>
    /// Carries on the session a process before this one served on <paramref name="socket"/>, from its record and
    /// descriptors in <paramref name="kept"/>. If it cannot be resumed, the connection is closed (QEMU sees it as a
    /// back-end restart) and the server waits for the next front-end.
    /// </summary>
    private void ResumeSession(UnixSocket socket, ResumeSet kept)
    {
        var connection = NewConnection(socket);
        SessionRecord? record = null;
        string? error;
        if (kept.Take(SessionNames.Record) is not { } recordFd)
            error = "no session record was kept";
        else
        {
            record = SessionRecord.Open(recordFd, out var snapshot, out error);
            if (snapshot is not null)
            {
                connection.KeepIn(new SessionKeeper(Store ?? NoStore.Instance, record), save: false);
                error = connection.Resume(snapshot, kept);
            }
        }
        Volatile.Write(ref _current, connection);
        RaiseConnectionChanged(true);
        if (error is not null)
        {
            BackendLog.SessionNotResumed(_logger, error);
            if (!connection.IsKeeping)
            {
                // Without a keeper the session's end drops nothing: let go of the connection and everything kept for
                // it here, or QEMU would wait on a connection nobody serves.
                record?.Dispose();
                Store?.Drop(SessionNames.Connection);
                Store?.Drop(SessionNames.Record);
                foreach (var name in kept.Names.Where(SessionNames.IsSessionName).ToList())
                    Store?.Drop(name);
            }
            connection.Stop();
        }
        else
            BackendLog.SessionResumed(_logger, connection.RegionCount, connection.RunningRings);
        connection.Start();
    }

    /// <summary>
    /// Stops serving for a handover: the session ends at a clean point without resetting the device, and every kept
    /// descriptor — the listener and the connection above all — stays kept for the process that takes over. The task
    /// from <see cref="RunAsync"/> completes once done; the socket file stays.
    /// </summary>
    public void HandOver()
    {
        Volatile.Write(ref _handover, true);
        _stop.Signal();
    }

    private bool _handover;

    /// <summary>Checks the peer's credentials against <see cref="Access"/>; logs a refusal.</summary>
    private bool IsAllowed(UnixSocket socket)
    {
        var peer = socket.PeerCredentials(out var errno);
        if (Access.Allows(peer, _ownUserId))
            return true;
        if (peer is null)
            BackendLog.RefusedUnknownPeer(_logger, SocketPath, errno);
        else
            BackendLog.RefusedPeer(_logger, SocketPath, peer.ProcessId, peer.UserId, peer.GroupId, Access.Describe(_ownUserId));
        return false;
    }

    /// <summary>Called when a session signalled its end (it already cleaned up).</summary>
    private void ReapEndedConnection()
    {
        _ended.TryConsume();
        var current = Volatile.Read(ref _current);
        if (current is not null)
            FinishConnection(current);
    }

    /// <summary>
    /// Waits for a session's thread (which always ends: every wait in it has a time-out or listens to the stop
    /// eventfd, and device work is finite), then forgets it and reports the disconnect.
    /// </summary>
    private void FinishConnection(BackendConnection connection)
    {
        if (connection.Join(SessionEndTimeout))
            connection.Dispose();
        else
            BackendLog.SessionDidNotEnd(_logger, SessionEndTimeout.TotalSeconds);
        _ended.TryConsume();
        Volatile.Write(ref _current, null);
        RaiseConnectionChanged(false);
    }

    private void RaiseConnectionChanged(bool connected)
    {
        try
        {
            ConnectionChanged?.Invoke(connected);
        }
        catch (Exception e)
        {
            BackendLog.ConnectionHandlerFailed(_logger, e);
        }
    }

    private void OnConfigChanged() => Volatile.Read(ref _current)?.NotifyConfigChanged();

    /// <summary>Stops serving (as cancelling <see cref="RunAsync"/> does), waits for the server thread, releases everything.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            thread = _acceptThread;
        }
        _device.ConfigChanged -= OnConfigChanged;
        _stop.Signal();
        if (thread is not null && !thread.Join(SessionEndTimeout + TimeSpan.FromSeconds(5)))
            return; // never pull the eventfds from under a live thread; the process exit closes them
        _stop.Dispose();
        _ended.Dispose();
    }
}
