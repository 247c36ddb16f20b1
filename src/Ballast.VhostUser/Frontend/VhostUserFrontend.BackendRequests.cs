using Ballast.Linux;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Frontend;

/// <summary>
/// The backend-request channel (vhost-user.rst "Back-end communication") and the queues' error eventfds, served
/// by a small thread: CONFIG_CHANGE_MSG raises <see cref="ConfigChanged"/> (QEMU would raise the guest's config
/// interrupt) and is answered when it asks (NEED_REPLY); an error eventfd raises <see cref="QueueError"/>.
/// </summary>
public sealed partial class VhostUserFrontend
{
    private readonly EventFd _backendStop = new();
    private MessageChannel? _backendChannel;
    private Thread? _backendThread;
    private long _configChanges;

    /// <summary>SET_BACKEND_REQ_FD: one end of a socketpair goes to the back-end, we keep the other.</summary>
    private void StartBackendChannel()
    {
        var (ours, theirs) = UnixSocket.CreatePair();
        _backendChannel = new MessageChannel(ours, TimeoutMs);
        using (theirs)
            Send(FrontendRequest.SetBackendReqFd, [], [theirs.Fd], ack: true);
    }

    private void StartBackendThread()
    {
        _backendThread = new Thread(ServeBackendRequests) { IsBackground = true, Name = "ballast-vhost-frontend" };
        _backendThread.Start();
    }

    private unsafe void ServeBackendRequests()
    {
        var fds = stackalloc Libc.pollfd[2 + _errs.Length];
        var channelOpen = _backendChannel is not null;
        while (true)
        {
            var n = 0;
            fds[n++] = new Libc.pollfd { fd = _backendStop.Fd, events = Libc.POLLIN };
            fds[n++] = new Libc.pollfd { fd = channelOpen ? _backendChannel!.Socket.Fd : -1, events = Libc.POLLIN };
            foreach (var err in _errs)
                fds[n++] = new Libc.pollfd { fd = err.Fd, events = Libc.POLLIN };
            if (Libc.poll(fds, (nuint)n, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                    continue;
                return;
            }
            if (fds[0].revents != 0)
                return;
            for (var i = 0; i < _errs.Length; i++)
            {
                if (fds[2 + i].revents == 0)
                    continue;
                _errs[i].TryConsume();
                FrontendLog.QueueError(_logger, i);
                Raise(() => QueueError?.Invoke(i));
            }
            if (channelOpen && fds[1].revents != 0)
                channelOpen = ServeOneBackendRequest();
        }
    }

    /// <summary>Handles one request from the back-end; returns false once the channel is unusable.</summary>
    private bool ServeOneBackendRequest()
    {
        try
        {
            using var message = _backendChannel!.Receive(VhostUserMessage.MaxPayloadSize, 0, _backendStop);
            if (message is null)
                return false;
            var header = message.Header;
            if (header.Request == (uint)BackendRequest.ConfigChangeMsg)
            {
                Interlocked.Increment(ref _configChanges);
                FrontendLog.ConfigChange(_logger);
                Raise(() => ConfigChanged?.Invoke());
                if (header.NeedsReply)
                    _backendChannel.SendU64Reply(header.Request, 0);
            }
            else
            {
                FrontendLog.UnsupportedBackendRequest(_logger, header.Request);
                if (header.NeedsReply)
                    _backendChannel.SendU64Reply(header.Request, 1);
            }
            return true;
        }
        catch (VhostUserException e)
        {
            FrontendLog.BackendChannelFailed(_logger, e.Message);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Raise(Action raise)
    {
        try
        {
            raise();
        }
        catch (Exception e)
        {
            FrontendLog.HandlerFailed(_logger, e);
        }
    }
}
