using Ballast.Daemon.Api;
using Ballast.Daemon.Client;
using Ballast.GuestLab;
using Xunit.Sdk;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// A 2 GiB guest whose balloon is Ballast's: a run directory inside the QEMU chroot, a <c>ballast serve</c> daemon
/// listening on <c>balloon.sock</c> in it (API on <c>api.sock</c>), and QEMU with <c>vhost-user-test-device</c> (or
/// <c>vhost-user-test-device-pci</c> on q35) on that socket, booted to <c>BALLAST ready</c>. Disposing stops QEMU, then the daemon, and deletes the directory
/// (kept after a failure, for the serial log).
/// </summary>
public sealed class BallastGuest : IAsyncDisposable
{
    /// <summary>How often a wait asks the daemon again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly GuestEnvironment _environment;
    private readonly Action<IAsyncDisposable> _track;
    private readonly List<DaemonProcess> _daemons = [];
    private BalloonApiClient _api;

    private BallastGuest(GuestEnvironment environment, BallastGuestOptions options, GuestRunDirectory directory, DaemonProcess daemon,
        Action<IAsyncDisposable> track)
    {
        _environment = environment;
        _track = track;
        Options = options;
        Directory = directory;
        _daemons.Add(daemon);
        _api = daemon.CreateClient();
    }

    /// <summary>How it was started.</summary>
    public BallastGuestOptions Options { get; }

    /// <summary>The run directory.</summary>
    public GuestRunDirectory Directory { get; }

    /// <summary>The daemon now serving the guest.</summary>
    public DaemonProcess Daemon => _daemons[^1];

    /// <summary>QEMU.</summary>
    public QemuGuest Qemu { get; private set; } = null!;

    /// <summary>A client of the current daemon's API.</summary>
    public BalloonApiClient Api => _api;

    /// <summary>The guest's facts so far.</summary>
    public SerialLog Serial => Qemu.Serial;

    /// <summary>Starts the daemon, then QEMU, and waits for <c>BALLAST ready</c>.</summary>
    /// <param name="environment">The artifacts.</param>
    /// <param name="options">Features, kernel command line, machine, memory.</param>
    /// <param name="track">Given every process started, for the collection's final clean-up.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<BallastGuest> StartAsync(GuestEnvironment environment, BallastGuestOptions options, Action<IAsyncDisposable> track,
        CancellationToken ct = default)
    {
        var directory = GuestRunDirectory.Create(environment, options.Name);
        DaemonProcess daemon;
        try
        {
            daemon = await DaemonProcess.StartAsync(DaemonOptions(directory, options), ct);
        }
        catch
        {
            directory.Keep = true;
            throw;
        }
        track(daemon);
        var guest = new BallastGuest(environment, options, directory, daemon, track);
        try
        {
            guest.Qemu = await QemuGuest.StartAsync(environment, directory, new QemuGuestOptions
            {
                Machine = options.Machine,
                Kernel = options.Kernel,
                MemoryBytes = options.MemoryBytes,
                Backing = options.Backing,
                Balloon = GuestBalloonDevice.VhostUser,
                Queues = options.Queues,
                ConfigSize = options.ConfigSize,
                ReconnectMs = options.ReconnectMs,
                Append = options.Append,
            }, ct);
            track(guest.Qemu);
            await guest.Qemu.WaitReadyAsync(options.BootTimeout, ct);
            return guest;
        }
        catch (Exception e)
        {
            var diagnostics = guest.Diagnostics();
            directory.Keep = true;
            await guest.DisposeAsync();
            throw new InvalidOperationException($"the guest did not boot: {e.Message}\n{diagnostics}", e);
        }
    }

    private static DaemonOptions DaemonOptions(GuestRunDirectory directory, BallastGuestOptions options) => new()
    {
        SocketPath = directory.HostFile(QemuGuest.BalloonSocketName),
        ApiPath = directory.HostFile("api.sock"),
        Features = options.Features,
        ExtraArguments = [.. options.DeferRelease ? ["--defer-release"] : Array.Empty<string>(), .. GuestRamBackings.DaemonArguments(options.Backing)],
    };

    /// <summary>Stops the daemon with SIGTERM and returns its exit status; the guest keeps running.</summary>
    public Task<int?> StopDaemonAsync() => Daemon.StopAsync();

    /// <summary>Starts a new daemon on the same sockets (after <see cref="StopDaemonAsync"/>).</summary>
    public async Task<DaemonProcess> RestartDaemonAsync(CancellationToken ct = default)
    {
        var daemon = await DaemonProcess.StartAsync(DaemonOptions(Directory, Options), ct);
        _track(daemon);
        _daemons.Add(daemon);
        // The old client's pooled connection went with the old daemon.
        _api.Dispose();
        _api = daemon.CreateClient();
        return daemon;
    }

    /// <summary>
    /// <c>kill -9</c> of the daemon's worker, as a crash would; returns once the supervisor's next worker serves (its
    /// log says so) and the API answers again. Returns the time from the kill until then.
    /// </summary>
    public async Task<TimeSpan> KillWorkerAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var serving = CountServes();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var killed = Daemon.KillWorker();
        await GuestWait.UntilAsync(async token =>
            {
                if (CountServes() <= serving)
                    return false;
                await Api.GetBalloonAsync(token);
                return true;
            }, timeout, PollInterval, () => $"a new worker to serve after kill -9 {killed}:\n{Daemon.Log()}", Qemu.ExitReason, ct);
        return clock.Elapsed;
    }

    private int CountServes() => Daemon.Log(2000).Split('\n').Count(line => line.Contains("supervisor: worker", StringComparison.Ordinal)
        && line.Contains(" serves (", StringComparison.Ordinal));

    /// <summary>
    /// <c>ballast serve … --take-over</c> on the same sockets: the new daemon takes the session over, the old one exits
    /// 0 (checked). Returns the new daemon.
    /// </summary>
    public async Task<DaemonProcess> TakeOverAsync(CancellationToken ct = default)
    {
        var old = Daemon;
        var daemon = await DaemonProcess.TakeOverAsync(DaemonOptions(Directory, Options), ct);
        _track(daemon);
        _daemons.Add(daemon);
        var exit = await old.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(exit == 0, $"the daemon taken over exited with {exit}:\n{old.Log()}");
        _api.Dispose();
        _api = daemon.CreateClient();
        return daemon;
    }

    /// <summary>GET /balloon.</summary>
    public Task<BalloonState> StateAsync(CancellationToken ct = default) => Api.GetBalloonAsync(ct);

    /// <summary>Waits until the daemon has the guest's memory table (the driver is up), returning the state.</summary>
    public async Task<BalloonState> WaitConnectedAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        BalloonState? state = null;
        await GuestWait.UntilAsync(async token =>
            {
                state = await Api.GetBalloonAsync(token);
                return state.Connected && state.GuestBytes > 0;
            }, timeout, PollInterval, () => $"GET /balloon to show a connected guest with RAM (last: {state})", Qemu.ExitReason, ct);
        return state!;
    }

    /// <summary>PUT /balloon with <paramref name="targetBytes"/>, then waits until the guest's actual equals it; returns the time taken.</summary>
    public async Task<TimeSpan> SetTargetAndWaitAsync(long targetBytes, TimeSpan timeout, CancellationToken ct = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Api.SetTargetAsync(targetBytes, ct);
        await WaitActualAsync(actual => actual == (ulong)targetBytes, $"actual_bytes = {targetBytes}", timeout, ct);
        return clock.Elapsed;
    }

    /// <summary>
    /// Waits until the daemon has no release queued (GET /balloon's release_pending_bytes is 0: at once unless it runs
    /// with <c>--defer-release</c>); returns the state then.
    /// </summary>
    public async Task<BalloonState> WaitReleasedAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        BalloonState? state = null;
        await GuestWait.UntilAsync(async token =>
            {
                state = await Api.GetBalloonAsync(token);
                return state.ReleasePendingBytes == 0;
            }, timeout, PollInterval, () => $"release_pending_bytes = 0 (last: {state?.ReleasePendingBytes})", Qemu.ExitReason, ct);
        return state!;
    }

    /// <summary>Waits until GET /balloon's actual_bytes satisfies <paramref name="condition"/>; returns the state then.</summary>
    public async Task<BalloonState> WaitActualAsync(Func<ulong, bool> condition, string what, TimeSpan timeout, CancellationToken ct = default)
    {
        BalloonState? state = null;
        await GuestWait.UntilAsync(async token =>
            {
                state = await Api.GetBalloonAsync(token);
                return condition(state.ActualBytes);
            }, timeout, PollInterval, () => $"{what} (last: actual {state?.ActualBytes}, target {state?.TargetBytes})", Qemu.ExitReason, ct);
        return state!;
    }

    /// <summary>The next <c>meminfo</c> fact printed after now (the guest reports every <c>ballast.report</c> seconds).</summary>
    public Task<SerialEvent> FreshMemInfoAsync(CancellationToken ct = default) =>
        Qemu.WaitForAsync("meminfo", TimeSpan.FromSeconds(30), after: Serial.Count, ct: ct);

    /// <summary>The serial log's tail, QEMU's output and every daemon's log, for failure messages.</summary>
    public string Diagnostics()
    {
        var text = new System.Text.StringBuilder();
        text.Append("run directory: ").Append(Directory.HostPath).Append('\n');
        if (Qemu is not null)
            text.Append(Qemu.Diagnostics()).Append('\n');
        for (var i = 0; i < _daemons.Count; i++)
            text.Append("--- ballast serve #").Append(i + 1).Append(" (pid ").Append(_daemons[i].Pid).Append(") ---\n").Append(_daemons[i].Log(40)).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Runs <paramref name="body"/>; if it fails, the failure is rethrown with <see cref="Diagnostics"/> appended
    /// and the run directory is kept.
    /// </summary>
    public async Task VerifyAsync(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body();
        }
        catch (Exception e) when (e is not SkipException)
        {
            Directory.Keep = true;
            throw new XunitException($"{e.GetType().Name}: {e.Message}\n\n{Diagnostics()}", e);
        }
    }

    /// <summary>Stops QEMU, then every daemon, and removes the run directory unless it is kept.</summary>
    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        if (Qemu is not null)
            await Qemu.DisposeAsync();
        foreach (var daemon in _daemons)
            await daemon.DisposeAsync();
        Directory.Dispose();
    }
}
