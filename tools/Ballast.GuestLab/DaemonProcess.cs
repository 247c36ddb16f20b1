using Ballast.Daemon.Api;
using Ballast.Daemon.Client;

namespace Ballast.GuestLab;

/// <summary>
/// <c>dotnet ballast.dll serve --socket … --api …</c> as a child process: started, waited for until it listens (it
/// prints the QEMU arguments once both sockets are up), and stopped with SIGTERM by its pid (SIGKILL after a grace
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

    /// <summary>Starts the daemon and waits until it listens on both sockets.</summary>
    /// <exception cref="InvalidOperationException">It exited or did not listen in time (the message carries its log); it is stopped.</exception>
    public static async Task<DaemonProcess> StartAsync(DaemonOptions options, CancellationToken ct = default)
    {
        var apiPath = options.ApiPath ?? ApiRoutes.DefaultApiSocket(options.SocketPath);
        var daemon = new DaemonProcess(ChildProcess.Start("dotnet", BuildArguments(options), "ballast serve"), options, apiPath);
        try
        {
            var deadline = DateTime.UtcNow + options.StartTimeout;
            // serve prints the QEMU arguments (ending with the -global line) once the API and the vhost-user socket listen.
            while (!daemon._process.StandardOutputLines().Any(line => line.StartsWith("-global", StringComparison.Ordinal)))
            {
                if (daemon.HasExited)
                    throw new InvalidOperationException($"ballast serve exited with status {daemon.ExitCode} before listening:\n{daemon.Log()}");
                if (DateTime.UtcNow >= deadline)
                    throw new InvalidOperationException($"ballast serve did not listen within {options.StartTimeout.TotalSeconds:0} s:\n{daemon.Log()}");
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
