using Ballast.Linux;
using System.Runtime.InteropServices;
using Ballast.Virtio;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;
using Microsoft.Extensions.Logging;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// One front-end's session with the balloon device: a thread that sleeps in poll(2) on the socket, the kick
/// eventfd of every started ring and a stop eventfd; it handles each message (<c>BackendConnection.Requests.cs</c>,
/// <c>.Rings.cs</c>, <c>.Memory.cs</c>) and processes a ring when it is kicked. Used-buffer notifications go
/// straight from the device to the call eventfds. When the session ends — the front-end leaves or misbehaves, or
/// the server stops — every ring stops, guest memory is unmapped and the device is reset (its target survives).
/// </summary>
/// <remarks>
/// Everything but <see cref="NotifyConfigChanged"/>, <see cref="Stop"/> and <see cref="GuestRamBytes"/> runs on the
/// event-loop thread. Hostile input never escapes as an exception: a malformed request gets an error reply
/// (NEED_REPLY) or ends the session, with a log line.
/// </remarks>
internal sealed partial class BackendConnection : IDisposable
{
    private readonly MessageChannel _channel;
    private readonly IVirtioDevice _device;
    private readonly ILogger _logger;
    private readonly int _ioTimeoutMs;
    private readonly EventFd _stop = new();
    private readonly BackendRing[] _rings;
    private readonly Thread _thread;
    private readonly Action<BackendConnection, string> _ended;
    private readonly bool _allowUnsealedMemory;
    private BackendRequestChannel? _backendChannel;
    private ulong _protocolFeatures;
    private ulong _guestRamBytes;

    /// <summary>Takes over <paramref name="socket"/>; call <see cref="Start"/> to serve it.</summary>
    /// <param name="socket">The accepted connection.</param>
    /// <param name="device">The balloon; the connection owns its queues and memory while it lives.</param>
    /// <param name="logger">Where the session logs.</param>
    /// <param name="ioTimeoutMs">How long a started message may take to arrive, and a reply to leave.</param>
    /// <param name="ended">Called on the event-loop thread once the session is over and cleaned up, with the reason.</param>
    /// <param name="allowUnsealedMemory">
    /// Map guest RAM whose file is not sealed against shrinking (with a warning) instead of refusing SET_MEM_TABLE:
    /// the front-end is trusted not to truncate it (<see cref="VhostUserServer.AllowUnsealedMemory"/>).
    /// </param>
    public BackendConnection(UnixSocket socket, IVirtioDevice device, ILogger logger, int ioTimeoutMs, Action<BackendConnection, string> ended,
        bool allowUnsealedMemory = false)
    {
        _channel = new MessageChannel(socket, ioTimeoutMs);
        _device = device;
        _logger = logger;
        _ioTimeoutMs = ioTimeoutMs;
        _ended = ended;
        _allowUnsealedMemory = allowUnsealedMemory;
        _rings = new BackendRing[device.QueueCount];
        for (var i = 0; i < _rings.Length; i++)
            _rings[i] = new BackendRing(i);
        _thread = new Thread(Run) { IsBackground = true, Name = "ballast-vhost-user" };
    }

    /// <summary>Sum of the current memory table's region sizes; 0 without one.</summary>
    public ulong GuestRamBytes => Volatile.Read(ref _guestRamBytes);

    /// <summary>Starts the event-loop thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>Asks the event loop to end the session (any thread).</summary>
    public void Stop() => _stop.Signal();

    /// <summary>
    /// Asks the event loop to end the session for a handover (any thread): it stops between two steps — no request
    /// or descriptor chain half handled — waits for deferred releases, and lets go of its descriptors without
    /// resetting the device or dropping what is kept, so that another process resumes the session.
    /// </summary>
    public void StopForHandover()
    {
        Volatile.Write(ref _handover, true);
        _stop.Signal();
    }

    private bool _handover;

    /// <summary>Waits for the event-loop thread to finish.</summary>
    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    /// <summary>
    /// Announces a new config (the target) with VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, from the calling thread.
    /// Does nothing without a backend-request channel.
    /// </summary>
    public void NotifyConfigChanged()
    {
        var channel = Volatile.Read(ref _backendChannel);
        if (channel is null)
        {
            BackendLog.NoBackendChannel(_logger);
            return;
        }
        // On the event loop itself, waiting for the reply would deadlock (the front-end reads the config first).
        var needReply = ProtocolFeatures.Has(Volatile.Read(ref _protocolFeatures), ProtocolFeatures.ReplyAck)
            && Environment.CurrentManagedThreadId != _thread.ManagedThreadId;
        channel.NotifyConfigChanged(needReply);
    }

    private void Run()
    {
        var reason = "the server stopped";
        try
        {
            reason = Serve();
        }
        catch (Exception e)
        {
            // A host-side bug, not guest input: log it and end the session rather than the process.
            BackendLog.ConnectionFailed(_logger, e);
            reason = $"internal error: {e.Message}";
        }
        finally
        {
            try
            {
                Cleanup();
            }
            catch (Exception e)
            {
                BackendLog.ConnectionFailed(_logger, e);
            }
            BackendLog.Disconnected(_logger, reason);
            _ended(this, reason);
        }
    }

    /// <summary>The event loop; returns why the session ended.</summary>
    private unsafe string Serve()
    {
        var fds = stackalloc Libc.pollfd[2 + _rings.Length];
        var ringAt = stackalloc int[2 + _rings.Length];
        while (true)
        {
            var n = 0;
            fds[n++] = new Libc.pollfd { fd = _stop.Fd, events = Libc.POLLIN };
            fds[n++] = new Libc.pollfd { fd = _channel.Socket.Fd, events = Libc.POLLIN };
            foreach (var ring in _rings)
            {
                if (ring.Active is not null && ring.Kick is not null)
                {
                    ringAt[n] = ring.Index;
                    fds[n++] = new Libc.pollfd { fd = ring.Kick.Fd, events = Libc.POLLIN };
                }
            }
            // A ring whose last pass ran out of budget gets no kick for what is left: poll without sleeping,
            // serve whatever else is ready (front-end messages first of all), then give it its next pass.
            var busy = false;
            foreach (var ring in _rings)
                busy |= ring.MoreAvailable && ring.Active is not null;
            if (Libc.poll(fds, (nuint)n, busy ? 0 : -1) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                    continue;
                throw new SyscallException("poll", errno);
            }
            if (fds[0].revents != 0)
                return "the server stopped";
            for (var i = 2; i < n; i++)
            {
                if (fds[i].revents != 0)
                    OnKick(_rings[ringAt[i]]);
            }
            if (fds[1].revents != 0)
            {
                var end = ReceiveAndHandle();
                if (end is not null)
                    return end;
            }
            foreach (var ring in _rings)
            {
                if (ring.MoreAvailable)
                    ProcessRing(ring);
            }
        }
    }

    /// <summary>A kick: drain the eventfd and process the ring. A broken ring is reported on its error eventfd once.</summary>
    private void OnKick(BackendRing ring)
    {
        try
        {
            ring.Kick?.TryConsume();
        }
        catch (SyscallException)
        {
            // Validated as an eventfd when received; a failure here means it is unusable: stop polling it.
            StopRing(ring);
            ring.Kick?.Dispose();
            ring.Kick = null;
            return;
        }
        ProcessRing(ring);
    }

    /// <summary>
    /// One bounded pass over the ring (<see cref="IVirtioDevice.DefaultChainBudget"/> chains at most): a guest that
    /// keeps publishing buffers cannot keep this thread from the socket, nor the device lock from the API.
    /// </summary>
    private void ProcessRing(BackendRing ring)
    {
        ring.MoreAvailable = false;
        if (ring.Active is null)
            return;
        QueueProgress progress;
        try
        {
            progress = _device.ProcessQueue(ring.Index, IVirtioDevice.DefaultChainBudget);
        }
        catch (Exception e)
        {
            // The device never throws for guest input; keep serving and leave the trace in the log.
            BackendLog.ProcessFailed(_logger, ring.Index, e);
            return;
        }
        ring.MoreAvailable = progress == QueueProgress.MoreAvailable;
        if (progress == QueueProgress.Broken && !ring.ReportedBroken)
        {
            ring.ReportedBroken = true;
            BackendLog.RingBroken(_logger, ring.Index, ring.Active.BrokenReason);
            SignalQuietly(ring.Err);
        }
    }

    private static void SignalQuietly(EventFd? fd)
    {
        try
        {
            fd?.Signal();
        }
        catch (SyscallException)
        {
            // The front-end's eventfd is its business; nothing more we can do.
        }
    }

    /// <summary>Reads one message and handles it; returns why the session ends, or null to go on.</summary>
    private string? ReceiveAndHandle()
    {
        ReceivedMessage? message;
        try
        {
            // Read whole, handled, kept (KeepSession), and only then taken off the socket: a process killed at any
            // point before leaves the request, whole, to the next one; a request is never cut in half. Its reply goes
            // out after that, exactly once (BackendConnection.Replies.cs).
            message = _channel.Receive(VhostUserMessage.MaxPayloadSize, firstByteTimeoutMs: 0, _stop, peek: true);
        }
        catch (OperationCanceledException)
        {
            return "the server stopped";
        }
        catch (VhostUserException e)
        {
            BackendLog.ProtocolViolation(_logger, e.Message);
            return $"protocol violation: {e.Message}";
        }
        if (message is null)
            return "the front-end closed the connection";
        using (message)
        {
            try
            {
                var end = Handle(message);
                if (end is not null)
                {
                    SendQueuedReplyQuietly();
                    return end;
                }
                KeepTakeOffAndAnswer(message);
                return null;
            }
            catch (VhostUserException e)
            {
                // A reply could not be sent: the front-end is gone or not reading.
                return $"the front-end stopped listening: {e.Message}";
            }
        }
    }

    /// <summary>
    /// Stops every ring, unmaps guest memory, resets the device, closes every descriptor, and has the keeper let go of
    /// them. A handover instead leaves the device and the kept descriptors as they are (only this process's copies close).
    /// </summary>
    private void Cleanup()
    {
        // A handover leaves the device and everything kept as it is, for the next process; only our copies close.
        _detached = Volatile.Read(ref _handover) && _keeper is not null;
        if (!_detached)
            _keeper?.DropAll();
        _keeper?.Dispose();
        foreach (var ring in _rings)
        {
            if (ring.Active is not null)
            {
                _device.AttachQueue(ring.Index, null); // waits for deferred releases
                ring.Active = null;
            }
            ring.Dispose();
        }
        if (!_detached)
            _device.Reset();
        _device.Memory = null;
        _memory?.Dispose();
        _memory = null;
        _addressSpace = null;
        Volatile.Write(ref _guestRamBytes, 0);
        var channel = Interlocked.Exchange(ref _backendChannel, null);
        // shutdown(2) acts on the socket, not on this descriptor: never on one the next process goes on using.
        if (!_detached)
            channel?.Shutdown();
        channel?.Dispose();
        _channel.Dispose();
        if (_detached)
            BackendLog.SessionHandedOver(_logger);
    }

    /// <summary>True if the session ended in a handover (<see cref="StopForHandover"/>).</summary>
    public bool HandedOver => _detached;

    /// <summary>Releases the stop eventfd; the thread must have ended.</summary>
    public void Dispose() => _stop.Dispose();
}
