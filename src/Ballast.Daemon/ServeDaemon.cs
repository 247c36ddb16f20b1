using Ballast.Linux;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// One run of <c>ballast serve</c>: the balloon device, the statistics poller, the management API and the
/// vhost-user transport, from start until cancelled (Ctrl+C, SIGTERM), then every socket it created removed.
/// </summary>
public static class ServeDaemon
{
    /// <summary>The name the balloon's record (<see cref="BalloonRecord"/>) is kept under by a supervisor.</summary>
    public const string BalloonRecordName = "balloon";

    /// <summary>
    /// Runs the daemon for validated <paramref name="options"/>. Prints the QEMU arguments to
    /// <paramref name="stdout"/> once the API and the vhost-user socket are listening. Returns <see cref="ExitCodes.Success"/> after a
    /// cancellation, <see cref="ExitCodes.Failure"/> if a socket cannot be served or the transport fails.
    /// </summary>
    /// <param name="options">Validated options.</param>
    /// <param name="backendFactory">Builds the transport.</param>
    /// <param name="loggerFactory">Where everything logs.</param>
    /// <param name="stdout">Where the QEMU arguments go (not again when a worker resumes).</param>
    /// <param name="stderr">Where start-up errors go.</param>
    /// <param name="ct">Stops the daemon.</param>
    /// <param name="worker">
    /// Set when this process is the worker of a <see cref="Supervision.ServeSupervisor"/>: every descriptor is kept
    /// there, and what a worker before this one kept is resumed. Null runs the daemon on its own.
    /// </param>
    /// <param name="inherited">
    /// Without a supervisor: the listening sockets this process was started with (<see cref="ServeListeners.Take"/>),
    /// served instead of binding the paths.
    /// </param>
    public static async Task<int> RunAsync(ServeOptions options, ServeBackendFactory backendFactory, ILoggerFactory loggerFactory,
        TextWriter stdout, TextWriter stderr, CancellationToken ct, Supervision.SupervisedWorker? worker = null,
        VhostUser.Session.ResumeSet? inherited = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backendFactory);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var logger = loggerFactory.CreateLogger(typeof(ServeDaemon).FullName!);
        var socketPath = Path.GetFullPath(options.SocketPath);

        var device = new BalloonDevice(options.Device, loggerFactory.CreateLogger<BalloonDevice>());
        using var poller = new StatisticsPoller(device, options.StatsIntervalSeconds, loggerFactory.CreateLogger<StatisticsPoller>());
        ManagementApi api;
        IServeBackend? backend = null;
        Task serving;
        BalloonRecord? record = null;
        InitialTarget? initialTarget = null;
        // Stops the transport if the API cannot start after it (and with the daemon).
        using var stopTransport = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Once serving, and once a guest's driver is ready, what set-up left resident is given back when it goes quiet.
        using var trim = new IdleTrim(logger);
        device.DriverReady += trim.Request;
        try
        {
            if (worker is not null)
            {
                worker.ReceiveKept();
                record = AttachRecord(device, worker, logger);
                // The polling interval as the worker before this one left it (the API may have changed it).
                if (worker.IsResuming && record.PollingIntervalSeconds is { } polling && StatisticsPoller.IsValidInterval(polling)
                    && polling != poller.IntervalSeconds)
                    poller.SetInterval(polling);
                record.PollingIntervalSeconds = poller.IntervalSeconds;
                var kept = record;
                poller.IntervalChanged += seconds => kept.PollingIntervalSeconds = seconds;
            }
            // A socket left by a crashed daemon is replaced; one another process listens on is not. A resuming
            // worker serves the very socket the worker before it listened on.
            // An inherited socket's file belongs to whoever made the socket (and is live: it listens).
            if (worker?.IsResuming != true && !options.SocketInherited)
                UnixSocketFile.Claim(socketPath);
            backend = backendFactory(socketPath, device, loggerFactory, options);
            if (worker is null && inherited is not null && backend is VhostUserBackend served)
                served.Inherit(inherited);
            // --target: once, for the first guest of this daemon (a resuming worker's device has its target already).
            if (options.InitialTargetBytes is { } target && worker?.IsResuming != true)
                initialTarget = new InitialTarget(device, backend, target, logger);
            if (worker is not null)
            {
                if (backend is not VhostUserBackend keeping)
                    throw new IOException("a supervised worker needs the vhost-user transport");
                keeping.KeepIn(worker);
                worker.HandOverRequested += keeping.HandOver;
            }
            // The transport comes first: it binds (or takes) its socket before it returns the task, and QEMU may connect
            // from then on; a resumed session's rings wait for it. The management API (Kestrel's start is most of a
            // worker's start-up) comes a moment later.
            serving = backend.RunAsync(stopTransport.Token);
            if (serving.IsFaulted && serving.Exception?.InnerException is { } startError)
            {
                // A start-up error (the socket's directory is not writable, ...): one line, no stack trace.
                Abandon();
                await stderr.WriteLineAsync($"ballast serve: {StartError(socketPath, startError)}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            if (worker?.IsResuming == true)
            {
                if (worker.PausedAt is { } pausedAt)
                    DaemonLog.HandOverPause(logger, (DateTimeOffset.UtcNow - pausedAt).TotalMilliseconds, (worker.KeptArrivedAt - pausedAt).TotalMilliseconds);
                DaemonLog.BalloonResumed(logger, record!.Count * 4096, record.TargetPages * 4096L, record.ActualPages * 4096L);
            }
            api = await ManagementApi.StartAsync(options.ApiPath, device, backend, poller, loggerFactory, ct, worker,
                worker is null ? inherited : null).ConfigureAwait(false);
            api.LeaveSocketFile = options.ApiInherited;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Abandon();
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Abandon();
            await stderr.WriteLineAsync($"ballast serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        using var applyOnce = initialTarget;
        var exitCode = ExitCodes.Success;
        await using (api.ConfigureAwait(false))
        {
            try
            {
                if (!serving.IsCompleted)
                {
                    if (worker?.IsResuming != true)
                    {
                        QemuArguments.Write(stdout, socketPath, device.QueueCount, device.ConfigSize);
                        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    worker?.Serving();
                    // Under systemd without a supervisor (Type=notify): ready once both sockets listen.
                    if (worker is null)
                        _ = SystemdNotifier.FromEnvironment()?.Notify($"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS=serving");
                    DaemonLog.Serving(logger, socketPath, string.Join(",", BalloonFeatureNames.FromBits(device.OfferedFeatures, device.Options)), device.QueueCount,
                        device.Options.SgBit, device.Options.Release, device.Options.DeferRelease ? " deferred (with must-tell-host)" : "", poller.IntervalSeconds);
                    if (options.AllowUnsealedMemory)
                        DaemonLog.UnsealedMemoryAllowed(logger);
                    trim.Request();
                }
                await serving.ConfigureAwait(false);
                if (worker?.HandingOver == true)
                {
                    // The session stopped at a clean point: the next worker may resume it now. The API stops after
                    // (outside the guest's pause); its socket, the files and everything kept stay as they are.
                    worker.HandedOver();
                    api.LeaveKept();
                }
                else if (!ct.IsCancellationRequested && exitCode == ExitCodes.Success)
                {
                    DaemonLog.TransportStopped(logger);
                    exitCode = ExitCodes.Failure;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                DaemonLog.TransportFailed(logger, ex);
                await stderr.WriteLineAsync($"ballast serve: the vhost-user transport failed: {ex.Message}").ConfigureAwait(false);
                exitCode = ExitCodes.Failure;
            }
        }
        device.DriverReady -= trim.Request;
        if (worker?.HandingOver == true)
        {
            DaemonLog.HandedOver(logger);
            return ExitCodes.Success;
        }
        // A stop for good: the balloon's state goes with the session (QEMU saw the connection close).
        worker?.Store.Drop(BalloonRecordName);
        record?.Dispose();
        if (!options.SocketInherited && UnixSocketFile.Remove(socketPath))
            DaemonLog.SocketRemoved(logger, socketPath);
        DaemonLog.Stopped(logger);
        return exitCode;

        // Start-up failed or was cancelled: the transport (which may already listen) stops and removes its socket.
        void Abandon()
        {
            initialTarget?.Dispose();
            stopTransport.Cancel();
            (backend as IDisposable)?.Dispose();
        }
    }

    /// <summary>Why the vhost-user socket could not be served, in one sentence.</summary>
    private static string StartError(string socketPath, Exception error) => error switch
    {
        SyscallException { Call: "bind" or "listen" } syscall =>
            $"cannot listen on '{socketPath}': {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(syscall.Errno)}",
        _ => $"the vhost-user transport failed: {error.Message}",
    };

    /// <summary>
    /// The balloon's state outside the worker: the record a worker before this one kept (the ballooned frames, target
    /// and actual are resumed from it), or a new one, kept with the supervisor either way.
    /// </summary>
    private static BalloonRecord AttachRecord(BalloonDevice device, Supervision.SupervisedWorker worker, ILogger logger)
    {
        BalloonRecord? record = null;
        if (worker.Kept.Take(BalloonRecordName) is { } fd)
        {
            try
            {
                record = BalloonRecord.Open(fd);
                device.AttachRecord(record, resume: true);
            }
            catch (InvalidDataException e)
            {
                DaemonLog.BalloonRecordUnusable(logger, e.Message);
                record?.Dispose();
                record = null;
            }
        }
        if (record is null)
        {
            record = BalloonRecord.Create(0);
            device.AttachRecord(record, resume: false);
        }
        worker.Store.Keep(BalloonRecordName, record.Fd);
        return record;
    }
}
