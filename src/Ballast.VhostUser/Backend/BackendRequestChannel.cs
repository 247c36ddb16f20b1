using System.Buffers.Binary;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;
using Microsoft.Extensions.Logging;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// The back-end → front-end channel from SET_BACKEND_REQ_FD (vhost-user.rst "Back-end communication"). Ballast
/// sends one request on it: VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, when the balloon target changes.
/// </summary>
/// <remarks>
/// Sent from the thread that changed the target, never from the connection's event loop: QEMU answers a config
/// change by reading the config (GET_CONFIG on the main socket) before it replies here, so an event loop waiting
/// for this reply would deadlock. A lock serialises senders and the channel's replacement and closing.
/// </remarks>
internal sealed class BackendRequestChannel : IDisposable
{
    private readonly Lock _lock = new();
    private readonly MessageChannel _channel;
    private readonly ILogger _logger;
    private readonly int _replyTimeoutMs;
    private bool _disposed;
    private bool _broken;

    public BackendRequestChannel(UnixSocket socket, int ioTimeoutMs, ILogger logger)
    {
        _channel = new MessageChannel(socket, ioTimeoutMs);
        _replyTimeoutMs = ioTimeoutMs;
        _logger = logger;
    }

    /// <summary>
    /// Sends CONFIG_CHANGE_MSG (size 0); with <paramref name="needReply"/> (REPLY_ACK negotiated) sets NEED_REPLY and
    /// waits for the front-end's u64 status. Failures are logged, never thrown: the target is kept either way and
    /// the guest sees it at its next config read.
    /// </summary>
    /// <returns>True if the front-end took the notification (and acknowledged it with 0, when asked to).</returns>
    public bool NotifyConfigChanged(bool needReply)
    {
        lock (_lock)
        {
            if (_disposed || _broken)
                return false;
            try
            {
                const uint request = (uint)BackendRequest.ConfigChangeMsg;
                _channel.Send(MessageHeader.ForRequest(request, 0, needReply), []);
                if (!needReply)
                    return true;
                using var reply = _channel.Receive(VhostUserMessage.U64Size, _replyTimeoutMs, stop: null)
                    ?? throw new VhostUserException("the front-end closed the backend-request channel");
                if (reply.Header.Request != request || !reply.Header.IsReply || reply.Payload.Length != VhostUserMessage.U64Size)
                    throw new VhostUserException($"unexpected reply {reply.Header} to CONFIG_CHANGE_MSG");
                var status = BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload);
                if (status != 0)
                    BackendLog.ConfigChangeRefused(_logger, status);
                return status == 0;
            }
            catch (Exception e) when (e is VhostUserException or OperationCanceledException)
            {
                _broken = true;
                BackendLog.BackendChannelFailed(_logger, e.Message);
                return false;
            }
        }
    }

    /// <summary>The socket's descriptor (to keep it outside the process).</summary>
    public int Fd => _channel.Socket.Fd;

    /// <summary>
    /// Throws away whatever the front-end sent that nobody read: in a resumed session, the reply to a
    /// CONFIG_CHANGE_MSG the process before sent and did not live to read. Returns the bytes dropped.
    /// </summary>
    public int DiscardPending()
    {
        lock (_lock)
            return _channel.Socket.DiscardAvailable();
    }

    /// <summary>Wakes a sender blocked on the channel, without closing it (safe from any thread).</summary>
    public void Shutdown() => _channel.Socket.Shutdown();

    /// <summary>Closes the channel once no sender uses it.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _channel.Dispose();
        }
    }
}
