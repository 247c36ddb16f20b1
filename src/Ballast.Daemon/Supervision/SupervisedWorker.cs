using Ballast.Linux;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Session;

namespace Ballast.Daemon.Supervision;

/// <summary>
/// <c>ballast serve</c> running as the worker of a supervisor (<see cref="ServeSupervisor"/>): the descriptors the
/// supervisor kept from a worker before (empty on the first start), and the store to keep new ones in.
/// </summary>
public sealed class SupervisedWorker : IDisposable
{
    private static readonly TimeSpan s_handOverTimeout = TimeSpan.FromSeconds(10);
    private readonly ControlSocket _control;
    private bool _warmUp;

    private SupervisedWorker(ControlSocket control, ResumeSet kept)
    {
        _control = control;
        Store = new SupervisorStore(control);
        Kept = kept;
    }

    /// <summary>Where this worker keeps descriptors.</summary>
    public IDescriptorStore Store { get; }

    /// <summary>What a worker before this one kept; empty on the first start. Users take what they resume.</summary>
    public ResumeSet Kept { get; }

    /// <summary>True if a worker before this one left anything to resume.</summary>
    public bool IsResuming { get; private set; }

    /// <summary>
    /// The worker context if this process was started by a supervisor (its environment says so), else null. Dies with
    /// the supervisor (PR_SET_PDEATHSIG SIGKILL): a worker nobody keeps descriptors for must not serve on.
    /// </summary>
    /// <exception cref="InvalidOperationException">The supervisor is gone or did not hand over what it kept.</exception>
    public static SupervisedWorker? FromEnvironment()
    {
        var fdText = Environment.GetEnvironmentVariable(KeeperProtocol.ControlFdVariable);
        if (fdText is null)
            return null;
        Environment.SetEnvironmentVariable(KeeperProtocol.ControlFdVariable, null);
        if (!int.TryParse(fdText, out var fd) || fd < 3)
            throw new InvalidOperationException($"{KeeperProtocol.ControlFdVariable}={fdText} is not a descriptor");
        _ = Libc.prctl(Libc.PR_SET_PDEATHSIG, Libc.SIGKILL, 0, 0, 0);
        if (int.TryParse(Environment.GetEnvironmentVariable(KeeperProtocol.SupervisorPidVariable), out var parent) && Libc.getppid() != parent)
            throw new InvalidOperationException("the supervisor exited before its worker started");
        var warmUp = Environment.GetEnvironmentVariable(KeeperProtocol.WarmUpVariable) == "1";
        Environment.SetEnvironmentVariable(KeeperProtocol.WarmUpVariable, null);
        return new SupervisedWorker(ControlSocket.FromDescriptor(fd), new ResumeSet()) { _warmUp = warmUp };
    }

    /// <summary>
    /// Tells the supervisor this worker is ready (<c>waiting</c>) and takes what it kept, if anything (a first start
    /// gets nothing). Called once the daemon built everything that needs no descriptor: after a take-over the guest's
    /// rings are stopped from the moment the old worker is asked to hand over until this worker resumes them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The supervisor is gone or did not hand over what it kept.</exception>
    public void ReceiveKept()
    {
        if (_warmUp)
        {
            // Started for a take-over: compile the resume path now, while the old worker still serves.
            JitWarmup.Prepare(typeof(VhostUser.VhostUserServer), typeof(Balloon.Device.BalloonDevice), typeof(Virtio.IVirtioDevice),
                typeof(ControlSocket), typeof(Bitmap.XBitmap), typeof(ServeDaemon));
        }
        _control.Send(KeeperProtocol.Waiting);
        while (true)
        {
            var message = _control.Receive((int)s_handOverTimeout.TotalMilliseconds, out var timedOut)
                ?? throw new InvalidOperationException(timedOut ? "the supervisor did not hand over what it kept" : "the supervisor is gone");
            var (verb, name) = KeeperProtocol.Parse(message.Text);
            if (verb == KeeperProtocol.End && message.Fds.Length == 0)
            {
                KeptArrivedAt = DateTimeOffset.UtcNow;
                break;
            }
            if (verb == KeeperProtocol.PausedAt && message.Fds.Length == 0 && long.TryParse(name, out var ms))
            {
                PausedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                continue;
            }
            if (verb != KeeperProtocol.Kept || message.Fds.Length != 1 || !KeeperProtocol.IsValidName(name))
            {
                foreach (var extra in message.Fds)
                    _ = Libc.close(extra);
                throw new InvalidOperationException($"unexpected message from the supervisor: {message.Text}");
            }
            Kept.Add(name, message.Fds[0]);
        }
        // A listener alone may be a socket unit's (systemd socket activation): resuming needs a worker before this one.
        IsResuming = Kept.Contains(SessionNames.Listener) && Kept.Contains(ServeDaemon.BalloonRecordName);
        StartWatching();
    }

    /// <summary>Tells the supervisor this worker serves.</summary>
    public void Serving() => ((SupervisorStore)Store).Serving();

    /// <summary>When the last of the kept descriptors arrived.</summary>
    public DateTimeOffset KeptArrivedAt { get; private set; }

    /// <summary>After a handover: when the worker before this one was asked to stop; else null.</summary>
    public DateTimeOffset? PausedAt { get; private set; }

    /// <summary>Raised (on the watcher thread) when the supervisor asks for a handover to a new version.</summary>
    public event Action? HandOverRequested;

    /// <summary>True once a handover was asked for: the daemon stops without dropping anything kept.</summary>
    public bool HandingOver => _handOverAt is not null;

    private DateTimeOffset? _handOverAt;

    /// <summary>Tells the supervisor the handover is complete: nothing of this worker's is in use any more.</summary>
    public void HandedOver() =>
        ((SupervisorStore)Store).Send($"{KeeperProtocol.HandedOver} {(_handOverAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()}");

    /// <summary>Reads the supervisor's requests (hand-over) for as long as the worker lives.</summary>
    private void StartWatching()
    {
        var thread = new Thread(() =>
        {
            try
            {
                while (_control.Receive(-1, out _) is { } message)
                {
                    foreach (var fd in message.Fds)
                        _ = Libc.close(fd);
                    if (message.Text == KeeperProtocol.HandOver && _handOverAt is null)
                    {
                        _handOverAt = DateTimeOffset.UtcNow;
                        HandOverRequested?.Invoke();
                    }
                }
            }
            catch (SyscallException)
            {
                // The control socket is gone: the process is ending.
            }
        })
        { IsBackground = true, Name = "ballast-worker-control" };
        thread.Start();
    }

    /// <summary>Closes the control socket and whatever nobody resumed.</summary>
    public void Dispose()
    {
        Kept.Dispose();
        _control.Dispose();
    }
}
