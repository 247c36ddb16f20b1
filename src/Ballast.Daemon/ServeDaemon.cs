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
    /// <summary>
    /// Runs the daemon for validated <paramref name="options"/>. Prints the QEMU arguments to
    /// <paramref name="stdout"/> once the API and the vhost-user socket are listening. Returns <see cref="ExitCodes.Success"/> after a
    /// cancellation, <see cref="ExitCodes.Failure"/> if a socket cannot be served or the transport fails.
    /// </summary>
    public static async Task<int> RunAsync(ServeOptions options, ServeBackendFactory backendFactory, ILoggerFactory loggerFactory,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
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
        try
        {
            // A socket left by a crashed daemon is replaced; one another process listens on is not.
            UnixSocketFile.Claim(socketPath);
            backend = backendFactory(socketPath, device, loggerFactory, options);
            api = await ManagementApi.StartAsync(options.ApiPath, device, backend, poller, loggerFactory, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            (backend as IDisposable)?.Dispose();
            return ExitCodes.Success;
        }
        catch (IOException ex)
        {
            (backend as IDisposable)?.Dispose();
            await stderr.WriteLineAsync($"ballast serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var exitCode = ExitCodes.Success;
        await using (api.ConfigureAwait(false))
        {
            try
            {
                // The transport binds its socket before it returns the task: QEMU may connect once the arguments are out.
                var serving = backend.RunAsync(ct);
                if (!serving.IsCompleted)
                {
                    QemuArguments.Write(stdout, socketPath, device.QueueCount);
                    await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    DaemonLog.Serving(logger, socketPath, string.Join(",", BalloonFeatureNames.FromBits(device.OfferedFeatures, device.Options)), device.QueueCount,
                        device.Options.SgBit, device.Options.Release, device.Options.DeferRelease ? " deferred (with must-tell-host)" : "", poller.IntervalSeconds);
                    if (options.AllowUnsealedMemory)
                        DaemonLog.UnsealedMemoryAllowed(logger);
                }
                await serving.ConfigureAwait(false);
                if (!ct.IsCancellationRequested)
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
        if (UnixSocketFile.Remove(socketPath))
            DaemonLog.SocketRemoved(logger, socketPath);
        DaemonLog.Stopped(logger);
        return exitCode;
    }
}
