using System.Diagnostics;
using Ballast.Linux;
using Ballast.Linux.Interop;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon.Supervision;

/// <summary>
/// What a plain <c>ballast serve</c> runs: a small process that starts the worker (the same command, which parses
/// every byte QEMU and the guest send), keeps a copy of every descriptor the worker holds — the listening sockets, the
/// connection to QEMU, guest memory, the eventfds, the session and balloon records — and, when the worker dies, starts
/// a new one that resumes from the copies. While the copies are kept, QEMU's connection never closes: QEMU and the
/// guest do not notice that the worker was replaced.
/// </summary>
/// <remarks>
/// The supervisor reads nothing from QEMU or the guest; its only input is the worker's control messages
/// (<see cref="KeeperProtocol"/>). A stop (Ctrl+C, SIGTERM) is passed on to the worker, which ends the session
/// properly; the supervisor then exits with the worker's exit code. A worker that fails before it ever served (bad
/// options, a socket in use) ends the supervisor with its exit code; one that dies after is restarted, at once the
/// first time and with a growing pause (up to <see cref="MaxBackoff"/>) while it keeps dying within
/// <see cref="StableRun"/> of its start.
/// </remarks>
public sealed class ServeSupervisor
{
    /// <summary>A worker that lived this long counts as healthy: the next restart is immediate again.</summary>
    public static readonly TimeSpan StableRun = TimeSpan.FromSeconds(10);

    /// <summary>The longest pause between two restarts of a worker that keeps dying.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly string _file;
    private readonly IReadOnlyList<string> _arguments;
    private readonly ILogger _logger;
    private readonly string _takeOverPath;
    private readonly SystemdNotifier? _systemd = SystemdNotifier.FromEnvironment();
    private bool _toldReady;
    private ControlSocket? _takeOverListener;
    private ControlSocket? _successor;
    private long? _handedOverAt;
    private DateTimeOffset? _pausedAt;
    private readonly Dictionary<string, int> _kept = new(StringComparer.Ordinal);
    private Process? _worker;
    private int _workerPid;
    private volatile bool _stopping;
    private bool _served;

    /// <param name="file">The executable to start (this one).</param>
    /// <param name="arguments">Its arguments: the serve command line.</param>
    /// <param name="takeOverPath">Where a new version asks this supervisor to hand over (<see cref="TakeOverPath"/>).</param>
    /// <param name="logger">Where the supervisor logs (the worker logs on its own).</param>
    public ServeSupervisor(string file, IReadOnlyList<string> arguments, string takeOverPath, ILogger logger)
    {
        _file = file;
        _arguments = arguments;
        _takeOverPath = takeOverPath;
        _logger = logger;
    }

    /// <summary>The take-over socket of a daemon whose vhost-user socket is <paramref name="socketPath"/>.</summary>
    public static string TakeOverPath(string socketPath) => Path.GetFullPath(socketPath) + ".takeover";

    /// <summary>Workers started so far (the first one included).</summary>
    public int Starts { get; private set; }

    /// <summary>
    /// How to start this very program again with <paramref name="arguments"/>: the apphost itself, or
    /// <c>dotnet ballast.dll</c>.
    /// </summary>
    public static (string File, List<string> Arguments) ThisProgram(IEnumerable<string> arguments)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the running program's path is unknown");
        var all = new List<string>();
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
            all.Add(Environment.GetCommandLineArgs()[0]);
        all.AddRange(arguments);
        return (process, all);
    }

    /// <summary>
    /// Supervises until <paramref name="ct"/> is cancelled (then stops the worker) or a worker ends for good. Runs on a
    /// thread of its own: the worker's death signal (PR_SET_PDEATHSIG) follows the thread that started it.
    /// </summary>
    /// <param name="ct">Stops the worker and the supervisor.</param>
    /// <param name="inherited">
    /// The descriptors this process was started with (<see cref="ServeListeners.Take"/>), by name: a socket unit's
    /// listeners, <c>--fd</c>'s, and under systemd what this supervisor kept before it was restarted (the service's
    /// file-descriptor store). Every worker gets them; one resumes the session from the store's. The supervisor owns them.
    /// </param>
    public Task<int> RunAsync(CancellationToken ct, VhostUser.Session.ResumeSet? inherited = null)
    {
        if (inherited is not null)
        {
            foreach (var name in inherited.Names.ToList())
            {
                if (inherited.Take(name) is { } fd)
                    _kept[name] = fd;
            }
        }
        // What a worker kept before (the store's session and balloon record): a worker that fails may be restarted.
        _served = _kept.ContainsKey(ServeDaemon.BalloonRecordName);
        if (_served)
            SupervisorLog.FromSystemd(_logger, _kept.Count, string.Join(",", _kept.Keys));
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.TrySetResult(Run(ct));
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "ballast-supervisor" };
        thread.Start();
        return done.Task;
    }

    private int Run(CancellationToken ct, (Process, ControlSocket)? prestarted = null)
    {
        using var registration = ct.Register(StopWorker);
        var backoff = TimeSpan.Zero;
        try
        {
            while (true)
            {
                var started = Stopwatch.StartNew();
                var (exitCode, served) = ServeWorker(prestarted ?? StartWorker());
                prestarted = null;
                if (_successor is not null)
                    return FinishHandOver(exitCode);
                // Something to resume once a worker got as far as listening for QEMU (a socket unit's listener is
                // kept from the start: that alone is not a session).
                _served |= served;
                var resumable = _served && _kept.ContainsKey(VhostUser.Session.SessionNames.Listener);
                if (_stopping || ct.IsCancellationRequested)
                    return exitCode;
                if (!served && !resumable)
                    return exitCode; // never got going: bad options, a socket in use; starting again would not help
                if (exitCode == ExitCodes.Success && !resumable)
                    return exitCode;
                backoff = started.Elapsed >= StableRun ? TimeSpan.Zero
                    : TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, Math.Max(100, backoff.TotalMilliseconds * 2)));
                if (Starts == 1)
                    backoff = TimeSpan.Zero;
                SupervisorLog.WorkerDied(_logger, _workerPid, Describe(exitCode), _kept.Count, backoff.TotalMilliseconds);
                if (backoff > TimeSpan.Zero && ct.WaitHandle.WaitOne(backoff))
                    return ExitCodes.Success;
            }
        }
        finally
        {
            foreach (var fd in _kept.Values)
                _ = Libc.close(fd);
            _kept.Clear();
            CloseTakeOverListener();
            _successor?.Dispose();
        }
    }

    private static string Describe(int exitCode) =>
        exitCode > 128 ? $"killed by signal {exitCode - 128}" : $"exit status {exitCode}";

    /// <summary>
    /// Starts a worker: it initialises, then waits on its control socket for what was kept (<see cref="ServeWorker"/>
    /// sends it). Started ahead of a take-over, its start-up is not part of the guest's pause.
    /// </summary>
    private (Process Process, ControlSocket Control) StartWorker(bool warmUp = false)
    {
        var (mine, theirs) = ControlSocket.CreatePair();
        using (theirs)
        {
            theirs.InheritByChildren();
            var info = new ProcessStartInfo(_file) { UseShellExecute = false };
            foreach (var argument in _arguments)
                info.ArgumentList.Add(argument);
            info.Environment[KeeperProtocol.ControlFdVariable] = theirs.Fd.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment[KeeperProtocol.SupervisorPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (warmUp)
                info.Environment[KeeperProtocol.WarmUpVariable] = "1";
            try
            {
                var process = Process.Start(info) ?? throw new InvalidOperationException($"{_file} did not start");
                Starts++;
                _worker = process;
                _workerPid = process.Id;
                return (process, mine);
            }
            catch
            {
                mine.Dispose();
                throw;
            }
        }
    }

    /// <summary>Hands a started worker what is kept, serves its control messages and take-over requests until it is gone.</summary>
    private unsafe (int ExitCode, bool Served) ServeWorker((Process, ControlSocket) started)
    {
        var (process, mine) = started;
        using (mine)
        {
            if (_stopping)
                StopWorker();
            var kept = _kept.Count;
            try
            {
                foreach (var (name, fd) in _kept)
                    mine.Send($"{KeeperProtocol.Kept} {name}", [fd]);
                if (_pausedAt is { } pausedAt)
                    mine.Send($"{KeeperProtocol.PausedAt} {pausedAt.ToUnixTimeMilliseconds()}");
                _pausedAt = null;
                mine.Send(KeeperProtocol.End);
            }
            catch (SyscallException e)
            {
                SupervisorLog.HandBackFailed(_logger, process.Id, e.Message);
            }
            // Logged once the worker has what it needs (a take-over's pause does not wait for the log).
            SupervisorLog.WorkerStarted(_logger, process.Id, kept);
            var served = false;
            var fds = stackalloc Libc.pollfd[2];
            // Once the worker serves, and after every burst of its messages (a guest's session set up), the supervisor
            // trims (IdleTrim) when nothing came for IdleTrim.Delay: the poll's timeout, no thread of its own.
            long? trimAt = null;
            // Until the worker is gone: the socket reports the end once every message it sent was read.
            while (true)
            {
                var listener = _takeOverListener;
                fds[0] = new Libc.pollfd { fd = mine.Fd, events = Libc.POLLIN };
                fds[1] = new Libc.pollfd { fd = listener?.Fd ?? -1, events = Libc.POLLIN };
                var timeout = trimAt is { } at ? (int)Math.Clamp(at - Environment.TickCount64, 0, int.MaxValue) : -1;
                var ready = Libc.poll(fds, 2, timeout);
                if (ready < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Libc.EINTR)
                        continue;
                    throw SyscallException.FromLastError("poll(supervisor)");
                }
                if (ready == 0)
                {
                    trimAt = null;
                    IdleTrim.RunNow(_logger);
                    continue;
                }
                if (fds[1].revents != 0 && listener is not null)
                    AcceptTakeOver(listener, mine);
                if (fds[0].revents == 0)
                    continue;
                if (mine.Receive(0, out _) is not { } message)
                    break;
                if (Handle(message.Text, message.Fds))
                {
                    served = true;
                    OpenTakeOverListener();
                }
                if (served)
                    trimAt = Environment.TickCount64 + (long)IdleTrim.Delay.TotalMilliseconds;
                if (_successor is not null && _handedOverAt is not null)
                {
                    // The session stopped cleanly: the new version takes over now. The old worker finishes stopping
                    // its API on its own; it ends with this supervisor (PR_SET_PDEATHSIG) if it has not by then.
                    _worker = null;
                    process.Dispose();
                    return (ExitCodes.Success, served);
                }
            }
            process.WaitForExit();
            var exitCode = process.ExitCode;
            _worker = null;
            process.Dispose();
            return (exitCode, served);
        }
    }

    /// <summary>One control message; returns true for <c>serving</c>.</summary>
    private bool Handle(string text, int[] fds)
    {
        var (verb, name) = KeeperProtocol.Parse(text);
        if (verb == KeeperProtocol.Waiting && fds.Length == 0)
            return false;
        if (verb == KeeperProtocol.HandedOver && fds.Length == 0 && long.TryParse(name, out var at))
        {
            _handedOverAt = at;
            return false;
        }
        if (!KeeperProtocol.IsValidName(name) && verb != KeeperProtocol.Serving)
        {
            SupervisorLog.BadMessage(_logger, text);
            CloseAll(fds);
            return false;
        }
        switch (verb)
        {
            case KeeperProtocol.Keep when fds.Length == 1:
                if (_kept.Remove(name, out var old))
                    _ = Libc.close(old);
                _kept[name] = fds[0];
                // systemd's store keeps every descriptor sent under a name: replace, do not add.
                _systemd?.Notify($"FDSTOREREMOVE=1\nFDNAME={name}");
                _systemd?.Notify($"FDSTORE=1\nFDNAME={name}", fds);
                return false;
            case KeeperProtocol.Drop when fds.Length == 0:
                if (_kept.Remove(name, out var dropped))
                    _ = Libc.close(dropped);
                _systemd?.Notify($"FDSTOREREMOVE=1\nFDNAME={name}");
                return false;
            case KeeperProtocol.Serving when fds.Length == 0:
                SupervisorLog.WorkerServing(_logger, name, _kept.Count);
                if (!_toldReady)
                    _toldReady = _systemd?.Notify($"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS=serving") ?? false;
                return true;
            default:
                SupervisorLog.BadMessage(_logger, text);
                CloseAll(fds);
                return false;
        }
    }

    /// <summary>Listens for a new version's take-over request, once the worker serves (a failure only disables take-over).</summary>
    private void OpenTakeOverListener()
    {
        if (_takeOverListener is not null)
            return;
        try
        {
            _takeOverListener = ControlSocket.Listen(_takeOverPath);
        }
        catch (Exception e) when (e is IOException or SyscallException or ArgumentException)
        {
            SupervisorLog.TakeOverUnavailable(_logger, _takeOverPath, e.Message);
        }
    }

    private void CloseTakeOverListener()
    {
        if (Interlocked.Exchange(ref _takeOverListener, null) is { } listener)
        {
            listener.Dispose();
            UnixSocketFile.Remove(_takeOverPath);
        }
    }

    /// <summary>
    /// A new version connected to the take-over socket: if it is this user or root and asks to take over, the worker
    /// is asked to hand over; the kept descriptors go to the new version once the worker is gone (<see cref="FinishHandOver"/>).
    /// </summary>
    private void AcceptTakeOver(ControlSocket listener, ControlSocket worker)
    {
        var connection = listener.Accept();
        if (connection is null)
            return;
        var peer = connection.Peer();
        if (!SocketAccess.OwnerOnly.Allows(peer, UnixSocketFile.EffectiveUserId) || _successor is not null)
        {
            SupervisorLog.TakeOverRefused(_logger, peer?.ProcessId ?? 0, peer?.UserId ?? uint.MaxValue);
            connection.Dispose();
            return;
        }
        var request = connection.Receive(5000, out _);
        if (request?.Text != KeeperProtocol.TakeOver)
        {
            if (request is { } r)
                CloseAll(r.Fds);
            SupervisorLog.TakeOverRefused(_logger, peer?.ProcessId ?? 0, peer?.UserId ?? uint.MaxValue);
            connection.Dispose();
            return;
        }
        SupervisorLog.TakeOverRequested(_logger, peer!.ProcessId, _workerPid);
        _successor = connection;
        try
        {
            worker.Send(KeeperProtocol.HandOver);
        }
        catch (SyscallException)
        {
            // The worker is gone already: what is kept goes to the successor all the same.
        }
    }

    /// <summary>
    /// The worker handed over and exited: the take-over socket goes (the new version makes its own), every kept
    /// descriptor goes to the new version, and this supervisor ends with status 0.
    /// </summary>
    private int FinishHandOver(int workerExitCode)
    {
        CloseTakeOverListener();
        var successor = _successor!;
        try
        {
            foreach (var (name, fd) in _kept)
                successor.Send($"{KeeperProtocol.Kept} {name}", [fd]);
            var at = _handedOverAt ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            successor.Send($"{KeeperProtocol.PausedAt} {at}");
            successor.Send(KeeperProtocol.End);
        }
        catch (SyscallException e)
        {
            SupervisorLog.HandOverFailed(_logger, e.Message);
            return ExitCodes.Failure;
        }
        SupervisorLog.HandedOver(_logger, _kept.Count, workerExitCode);
        return ExitCodes.Success;
    }

    /// <summary>
    /// <c>serve --take-over</c>: starts a worker, then asks the supervisor running on <see cref="_takeOverPath"/> to
    /// hand over, takes every descriptor it kept, hands them to the worker and supervises from then on.
    /// </summary>
    public Task<int> TakeOverAsync(CancellationToken ct)
    {
        ControlSocket predecessor;
        try
        {
            predecessor = ControlSocket.Connect(_takeOverPath);
        }
        catch (SyscallException e)
        {
            throw new IOException($"no running 'ballast serve' to take over at {_takeOverPath}: {e.Message}", e);
        }
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.TrySetResult(TakeOver(predecessor, ct));
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "ballast-supervisor" };
        thread.Start();
        return done.Task;
    }

    private int TakeOver(ControlSocket predecessor, CancellationToken ct)
    {
        (Process, ControlSocket) worker;
        using (predecessor)
        {
            // Started first: its runtime start-up, and compiling the resume path, happen while the old worker still serves.
            worker = StartWorker(warmUp: true);
            JitWarmup.Prepare(typeof(ServeSupervisor), typeof(ControlSocket));
            // Also the first log line of this process (it builds the console logger) comes before the pause.
            SupervisorLog.TakingOver(_logger, _takeOverPath, _workerPid);
            try
            {
                // The new worker's runtime start-up is not part of the guest's pause: ask for the handover once it waits.
                var ready = worker.Item2.Receive((int)TakeOverTimeout.TotalMilliseconds, out _);
                if (ready?.Text != KeeperProtocol.Waiting)
                    throw new IOException("the new worker did not start (see its log)");
                predecessor.Send(KeeperProtocol.TakeOver);
                while (true)
                {
                    var message = predecessor.Receive((int)TakeOverTimeout.TotalMilliseconds, out var timedOut)
                        ?? throw new IOException(timedOut ? $"the running daemon did not hand over within {TakeOverTimeout.TotalSeconds} s"
                            : "the running daemon refused the take-over or ended (see its log)");
                    var (verb, name) = KeeperProtocol.Parse(message.Text);
                    if (verb == KeeperProtocol.End)
                        break;
                    if (verb == KeeperProtocol.PausedAt && long.TryParse(name, out var ms))
                        _pausedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                    else if (verb == KeeperProtocol.Kept && message.Fds.Length == 1 && KeeperProtocol.IsValidName(name))
                    {
                        if (_kept.Remove(name, out var old))
                            _ = Libc.close(old);
                        _kept[name] = message.Fds[0];
                    }
                    else
                        CloseAll(message.Fds);
                }
            }
            catch
            {
                _ = Libc.kill(_workerPid, Libc.SIGKILL);
                worker.Item2.Dispose();
                foreach (var fd in _kept.Values)
                    _ = Libc.close(fd);
                _kept.Clear();
                throw;
            }
        }
        SupervisorLog.TookOver(_logger, _kept.Count);
        return Run(ct, worker);
    }

    /// <summary>How long a take-over waits for the running daemon to hand over.</summary>
    public static readonly TimeSpan TakeOverTimeout = TimeSpan.FromSeconds(30);

    private static void CloseAll(int[] fds)
    {
        foreach (var fd in fds)
            _ = Libc.close(fd);
    }

    /// <summary>Passes the stop on to the worker (SIGTERM): it ends the session properly and drops what it kept.</summary>
    private void StopWorker()
    {
        _stopping = true;
        _systemd?.Notify("STOPPING=1");
        // The pid is the worker's until the supervisor reaps it (after the control socket reported its end).
        if (_worker is not null && _workerPid > 0)
            _ = Libc.kill(_workerPid, Libc.SIGTERM);
    }
}
