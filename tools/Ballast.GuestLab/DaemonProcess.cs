using System.Diagnostics;
using Ballast.Daemon.Api;
using Ballast.Daemon.Client;
using Ballast.Linux;

namespace Ballast.GuestLab;

/// <summary>
/// <c>dotnet ballast.dll serve --socket … --api …</c> as a child process: started, waited for until both of its
/// sockets are up (<see cref="WaitUntilListeningAsync"/>), and stopped with SIGTERM by its pid (SIGKILL after a grace
/// time). Its standard output and error are kept for failure messages (<see cref="Log"/>).
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private DaemonProcess(ChildProcess process, DaemonOptions options, string apiPath)
    {
        _process = process;
        Options = options;
        ApiPath = apiPath;
    }

    /// <summary>How it was started.</summary>
    public DaemonOptions Options { get; }

    /// <summary>The vhost-user socket.</summary>
    public string SocketPath => Options.SocketPath;

    /// <summary>The management API socket.</summary>
    public string ApiPath { get; }

    /// <summary>The daemon's pid.</summary>
    public int Pid => _process.Pid;

    /// <summary>True once it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit status once exited.</summary>
    public int? ExitCode => _process.ExitCode;

    /// <summary>
    /// The <c>ballast.dll</c> beside this assembly: the lab runs in <c>ballast guest-bench</c> or in a test assembly
    /// that references Ballast.Cli, and both have the command-line program in their own folder.
    /// </summary>
    public static string DefaultBallastDll => Path.Combine(Path.GetDirectoryName(typeof(DaemonProcess).Assembly.Location)!, "ballast.dll");

    /// <summary>The arguments after <c>dotnet</c>.</summary>
    public static IReadOnlyList<string> BuildArguments(DaemonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new List<string>
        {
            options.BallastDll ?? DefaultBallastDll, "serve",
            "--socket", options.SocketPath,
            "--api", options.ApiPath ?? ApiRoutes.DefaultApiSocket(options.SocketPath),
            "--log-level", options.LogLevel,
        };
        if (options.Features is not null)
        {
            args.Add("--features");
            args.Add(options.Features);
        }
        args.AddRange(options.ExtraArguments);
        return args;
    }

    /// <summary>How often <see cref="WaitUntilListeningAsync"/> looks at the sockets.</summary>
    internal static readonly TimeSpan ReadinessPollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>How long one readiness <c>GET /balloon</c> may take before it counts as no answer (and is tried again).</summary>
    internal static readonly TimeSpan ReadinessRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts the daemon and waits until it listens on both sockets (<see cref="WaitUntilListeningAsync"/>).</summary>
    /// <exception cref="InvalidOperationException">It exited or did not listen in time (the message carries its log); it is stopped.</exception>
    public static async Task<DaemonProcess> StartAsync(DaemonOptions options, CancellationToken ct = default)
    {
        var apiPath = options.ApiPath ?? ApiRoutes.DefaultApiSocket(options.SocketPath);
        var daemon = new DaemonProcess(ChildProcess.Start("dotnet", BuildArguments(options), "ballast serve"), options, apiPath);
        try
        {
            await WaitUntilListeningAsync(daemon._process, options.SocketPath, apiPath, options.StartTimeout, ct).ConfigureAwait(false);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits until the daemon <paramref name="process"/> serves both of its sockets: the management API answers
    /// <c>GET /balloon</c> on <paramref name="apiPath"/>, and then <paramref name="socketPath"/> is a socket. Looks
    /// every <see cref="ReadinessPollInterval"/>, checking first each time whether the process has exited.
    /// </summary>
    /// <remarks>
    /// The vhost-user socket is looked at, never connected to: the server would take a connection for a front-end
    /// (log <c>vhost-user front-end connected</c>, show <c>connected</c> in <c>GET /balloon</c> until it noticed the
    /// close, and refuse QEMU as a second front-end should QEMU reconnect to a restarted daemon meanwhile). Looking at
    /// the file is enough because of the order <c>serve</c> starts in: it claims the vhost-user path (deleting a socket
    /// file a crashed daemon left) before it starts the API, and binds the vhost-user socket only after. So once the
    /// API has answered, a socket at <paramref name="socketPath"/> was bound by this daemon, which listens on it a chmod
    /// later (microseconds; QEMU takes far longer to start and connect). One case is not told apart: another daemon
    /// still serving both paths would be taken for this one (this one then exits, refusing to replace a live socket).
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// The process exited first, or <paramref name="timeout"/> passed; the message says which socket was missing and
    /// carries the process's last output lines.
    /// </exception>
    internal static async Task WaitUntilListeningAsync(ChildProcess process, string socketPath, string apiPath, TimeSpan timeout,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentException.ThrowIfNullOrEmpty(apiPath);
        var clock = Stopwatch.StartNew();
        using var api = new BalloonApiClient(apiPath, ReadinessRequestTimeout);
        while (true)
        {
            if (process.HasExited)
            {
                // Its last words may still be in the pipes: give them a moment to arrive.
                await process.WaitForExitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
                throw new InvalidOperationException($"{process.Name} exited with status {process.ExitCode} before listening:\n{process.Tail()}");
            }
            var missing = await MissingSocketAsync(api, socketPath, timeout - clock.Elapsed, ct).ConfigureAwait(false);
            if (missing is null)
                return;
            if (clock.Elapsed >= timeout)
                throw new InvalidOperationException($"{process.Name} did not listen within {timeout.TotalSeconds:0} s ({missing}):\n{process.Tail()}");
            await Task.Delay(ReadinessPollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>What is not serving yet, for the time-out message; null once both sockets are up.</summary>
    private static async Task<string?> MissingSocketAsync(BalloonApiClient api, string socketPath, TimeSpan left, CancellationToken ct)
    {
        if (!UnixSocketFile.IsSocket(api.SocketPath))
            return $"no management API socket at {api.SocketPath}";
        using (var request = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            // A request never outlives the deadline.
            request.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            try
            {
                await api.GetBalloonAsync(request.Token).ConfigureAwait(false);
            }
            catch (BalloonApiException e)
            {
                return $"GET /balloon: {e.Message}";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return $"GET /balloon on {api.SocketPath} got no answer in time";
            }
        }
        return UnixSocketFile.IsSocket(socketPath) ? null : $"no vhost-user socket at {socketPath}";
    }

    /// <summary>
    /// <c>serve … --take-over</c>: a new daemon that takes the session over from the one running on the same sockets.
    /// Returns once the new daemon's worker serves (its supervisor logs <c>serves</c>); the old daemon exits 0 by itself.
    /// </summary>
    /// <exception cref="InvalidOperationException">It exited or did not take over in time (the message carries its log); it is stopped.</exception>
    public static async Task<DaemonProcess> TakeOverAsync(DaemonOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options with { ExtraArguments = [.. options.ExtraArguments, "--take-over"] };
        var apiPath = options.ApiPath ?? ApiRoutes.DefaultApiSocket(options.SocketPath);
        var daemon = new DaemonProcess(ChildProcess.Start("dotnet", BuildArguments(options), "ballast serve --take-over"), options, apiPath);
        try
        {
            var clock = Stopwatch.StartNew();
            while (!daemon.Log(400).Contains(SupervisorServesLine, StringComparison.Ordinal))
            {
                if (daemon.HasExited)
                    throw new InvalidOperationException($"the take-over exited with status {daemon.ExitCode}:\n{daemon.Log()}");
                if (clock.Elapsed > options.StartTimeout)
                    throw new InvalidOperationException($"the take-over did not serve within {options.StartTimeout.TotalSeconds:0} s:\n{daemon.Log()}");
                await Task.Delay(ReadinessPollInterval, ct).ConfigureAwait(false);
            }
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What the supervisor logs once its worker serves.</summary>
    private const string SupervisorServesLine = "serves (";

    /// <summary>
    /// The worker the daemon's supervisor runs (the process that parses QEMU's and the guest's input), or null if it
    /// has none right now (between a worker's death and the next one's start, or with <c>--no-supervisor</c>).
    /// </summary>
    public int? WorkerPid()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            // pid (comm) state ppid ...: comm may hold spaces and parentheses; the last ')' ends it.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], out var ppid) && ppid == Pid && fields[0] != "Z")
                return pid;
        }
        return null;
    }

    /// <summary>
    /// SIGKILL to the worker (<see cref="WorkerPid"/>), as a crash would; returns its pid. The supervisor starts a new one.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no worker to kill.</exception>
    public int KillWorker()
    {
        var pid = WorkerPid() ?? throw new InvalidOperationException($"ballast serve (pid {Pid}) has no worker:\n{Log()}");
        if (Ballast.Linux.Interop.Libc.kill(pid, Ballast.Linux.Interop.Libc.SIGKILL) != 0)
            throw new InvalidOperationException($"kill -9 {pid} failed");
        return pid;
    }

    /// <summary>Waits until the daemon's process has exited (the old one after a take-over); returns its exit status.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        await _process.WaitForExitAsync(timeout, ct).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>A client of its management API (dispose it).</summary>
    public BalloonApiClient CreateClient(TimeSpan? requestTimeout = null) => new(ApiPath, requestTimeout);

    /// <summary>The last <paramref name="lines"/> lines it wrote (standard output and error).</summary>
    public string Log(int lines = 60) => _process.Tail(lines);

    /// <summary>Sends SIGTERM (by pid) and waits for the exit; SIGKILL after <see cref="DaemonOptions.StopGrace"/>. Returns the exit status.</summary>
    public Task<int?> StopAsync() => _process.StopAsync(Options.StopGrace);

    /// <summary>Stops the daemon if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }
}
