using System.CommandLine;
using System.Runtime.InteropServices;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Ballast.Daemon.Supervision;
using Ballast.VhostUser.Session;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon.Commands;

/// <summary>
/// <c>ballast serve</c>: the balloon daemon. A balloon device served to QEMU over vhost-user on <c>--socket-path</c>
/// (or an inherited socket: <c>--fd</c>, systemd socket activation), the management API on <c>--api</c>, and the QEMU
/// arguments that match printed on standard output.
/// </summary>
/// <remarks>
/// Follows QEMU's docs/interop/vhost-user.rst "Backend program conventions": <c>--socket-path</c>, <c>--fd</c>,
/// <c>--print-capabilities</c>, runs in the foreground, logs to standard error. Options are validated before anything
/// is created (exit code 2); every start-up error is one line on standard error (exit code 1). Ctrl+C and SIGTERM stop
/// the daemon with exit code 0 and remove the sockets it created.
/// </remarks>
public sealed class ServeCommand : Command
{
    /// <summary>Default <c>--log-level</c>.</summary>
    public const string DefaultLogLevel = "information";

    private static readonly string[] s_releaseNames = ["coalesce", "per-page"];

    private readonly ServeBackendFactory _backendFactory;
    private readonly Func<ServeLogSettings, ILoggerFactory> _loggerFactory;

    private readonly Option<string?> _socket = new("--socket-path", "--socket")
    {
        Description = "The vhost-user socket to create for QEMU's -chardev (required unless --fd is given; under systemd socket "
            + "activation, the path of the socket unit's ListenStream=)",
        HelpName = "PATH",
    };

    private readonly Option<int?> _fd = new("--fd")
    {
        Description = "Serve the listening vhost-user socket this program was started with on descriptor FDNUM instead of creating "
            + "one (QEMU's backend program conventions; not with --socket-path). It must be a listening Unix stream socket bound to "
            + "a path; that path stands for --socket-path, so --api defaults to <that path>.api. The socket file is left in place on exit",
        HelpName = "FDNUM",
    };

    private readonly Option<bool> _printCapabilities = new("--print-capabilities")
    {
        Description = "Print the back-end's capabilities as JSON on standard output and exit 0: {\"type\":\"balloon\",\"features\":[...]} "
            + "where features lists every balloon feature --features can offer (QEMU's backend program conventions)",
    };

    private readonly Option<string?> _socketUser = new("--socket-user")
    {
        Description = "Also let this user (a name or uid; e.g. the one QEMU runs as) connect to --socket, and give it the socket file "
            + "(needs root). By default only the daemon's own user and root may connect: the socket is mode 0600 and every peer is "
            + "checked (SO_PEERCRED)",
        HelpName = "USER",
    };

    private readonly Option<string?> _socketGroup = new("--socket-group")
    {
        Description = "Also let members of this group (a name or gid) connect to --socket: the socket file gets the group and mode 0660 "
            + "(the daemon's user must be a member, or root)",
        HelpName = "GROUP",
    };

    private readonly Option<string?> _api = new("--api")
    {
        Description = "The management API's Unix socket (HTTP/1.1 + JSON, mode 0600) [default: <socket-path>.api; with --fd, <path of "
            + "the inherited socket>.api]",
        HelpName = "PATH",
    };

    private readonly Option<IReadOnlySet<string>?> _features = new("--features")
    {
        Description = $"Balloon features to offer, comma-separated, replacing the default: {string.Join(", ", BalloonFeatureNames.All)}, "
            + $"or {ServeFeatureList.None} [default: {BalloonFeatureNames.Stats},{BalloonFeatureNames.DeflateOnOom}]",
        HelpName = "LIST",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            var text = string.Join(',', result.Tokens.Select(token => token.Value));
            if (ServeFeatureList.TryParse(text, out var features, out var error))
                return features;
            result.AddError($"--features: {error}");
            return null;
        },
    };

    private readonly Option<int> _sgBit = new("--sg-bit")
    {
        Description = $"Feature bit of Ballast's scatter-gather extension, 3-23 (3 for a guest built with the seed's header)",
        HelpName = "N",
        DefaultValueFactory = _ => BalloonFeatures.DefaultSgBit,
    };

    private readonly Option<string> _release = new Option<string>("--release")
    {
        Description = "How PFN-mode inflates give memory back: coalesce (merge each batch into runs) or per-page (one call per 4 KiB page, as QEMU does)",
        HelpName = "POLICY",
        DefaultValueFactory = _ => s_releaseNames[0],
    }.AcceptOnlyFromAmong(s_releaseNames);

    private readonly Option<string> _granularity = new Option<string>("--release-granularity")
    {
        Description = "On guest RAM backed by huge pages: host-page (release a huge page once all its 4 KiB frames are ballooned) or "
            + "4k (release every frame at once; on transparent huge pages that splits them). hugetlb always uses host-page",
        HelpName = "UNIT",
        DefaultValueFactory = _ => s_granularityNames[0],
    }.AcceptOnlyFromAmong(s_granularityNames);

    private static readonly string[] s_granularityNames = ["host-page", "4k"];

    private readonly Option<bool> _deferRelease = new("--defer-release")
    {
        Description = "Return inflate buffers before the host memory behind them is released, and release it on another thread: the "
            + "guest's inflate stops waiting for the kernel's freeing (needs must-tell-host in --features and --release coalesce; "
            + "'ballast balloon get' shows release_pending_bytes)",
    };

    private readonly Option<bool> _allowUnsealedMemory = new("--allow-unsealed-memory")
    {
        Description = "Also map guest RAM whose file is not sealed against shrinking (F_SEAL_SHRINK), such as memory-backend-file on "
            + "hugetlbfs or tmpfs. The front-end must be trusted not to truncate it: a truncated file makes the daemon's next access "
            + "fault (SIGBUS) and kills it. Without it only sealed memfds are taken (memory-backend-memfd, seal=on by default)",
    };

    private readonly Option<int> _statsInterval = new("--stats-interval")
    {
        Description = $"Ask the guest for fresh statistics every N seconds, 0 = off; the API can change it (0-{StatisticsPoller.MaxIntervalSeconds}) [default: 0]",
        HelpName = "SECONDS",
    };

    private readonly Option<long?> _target = SizeOption.Create("--target",
        "Set the balloon target once the guest's driver is ready, as 'ballast balloon set --target' would (at most the guest's RAM; "
        + $"a target the guest cannot hold is logged and not applied). SIZE is 0 or {Ballast.Virtio.Units.SizeParser.Syntax}, a multiple of 4 KiB",
        zeroAllowed: true);

    private readonly Option<string> _logLevel = new Option<string>("--log-level")
    {
        Description = "Least severe log events written to standard error: trace, debug, info (information), warn (warning), error, "
            + "critical, or off (none)",
        HelpName = "LEVEL",
        DefaultValueFactory = _ => DefaultLogLevel,
    }.AcceptOnlyFromAmong([.. ServeLogging.LevelNames]);

    private readonly Option<string> _logFormat = new Option<string>("--log-format")
    {
        Description = "How log lines look: simple (UTC time, level, category, message), json (one JSON object per line) or systemd "
            + "(a <N> syslog priority prefix per line, for journald; no time stamp). The supervisor and its worker use the same",
        HelpName = "FORMAT",
        DefaultValueFactory = _ => "simple",
    }.AcceptOnlyFromAmong([.. ServeLogging.FormatNames]);

    private readonly Option<bool> _noSupervisor = new("--no-supervisor")
    {
        Description = "Run the daemon as one process. By default a small supervisor process keeps every descriptor of the session "
            + "(QEMU's connection, guest memory, eventfds, the balloon's state) and restarts the worker that serves it if it dies: "
            + "QEMU and the guest never notice. Without it, a crash closes QEMU's connection, which QEMU (<= 11.1) does not survive",
    };

    private readonly Option<bool> _takeOver = new("--take-over")
    {
        Description = "Replace the 'ballast serve' running on --socket (e.g. after an upgrade) without QEMU or the guest noticing: this "
            + "process starts its worker, asks the running supervisor (on <socket>.takeover) to stop at a clean point, takes every "
            + "descriptor of the session and carries on; the old one exits 0. Use the same options as the running daemon",
    };

    /// <summary>
    /// True when <c>serve</c> may start a supervisor (the real program, <see cref="ServeSupervisor"/>); in-process
    /// command-line tests leave it off, since a supervisor starts this program again as its worker.
    /// </summary>
    public bool CanSupervise { get; init; }

    /// <summary>A <c>serve</c> command with the vhost-user transport and console logging.</summary>
    public ServeCommand()
        : this(VhostUserBackend.Factory, ServeLogging.CreateFactory)
    {
    }

    /// <summary>A <c>serve</c> command with its transport and logging replaced, for tests.</summary>
    internal ServeCommand(ServeBackendFactory backendFactory, Func<ServeLogSettings, ILoggerFactory> loggerFactory)
        : base("serve", "Run the balloon daemon: a virtio balloon device for QEMU's vhost-user-test-device on --socket-path (or --fd, or "
            + "a systemd socket unit's socket: LISTEN_FDS), and its management API on --api (use 'ballast balloon'). Runs in the "
            + "foreground; prints the matching QEMU (>= 10.2) arguments on standard output; logs go to standard error. Ctrl+C or "
            + "SIGTERM stops it and removes the sockets it created. Exit codes: 0 stopped, 1 failed (one line on standard error), "
            + "2 bad command line.")
    {
        ArgumentNullException.ThrowIfNull(backendFactory);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _backendFactory = backendFactory;
        _loggerFactory = loggerFactory;
        Options.Add(_socket);
        Options.Add(_fd);
        Options.Add(_printCapabilities);
        Options.Add(_socketUser);
        Options.Add(_socketGroup);
        Options.Add(_api);
        Options.Add(_features);
        Options.Add(_sgBit);
        Options.Add(_release);
        Options.Add(_deferRelease);
        Options.Add(_granularity);
        Options.Add(_allowUnsealedMemory);
        Options.Add(_statsInterval);
        Options.Add(_target);
        Options.Add(_logLevel);
        Options.Add(_logFormat);
        Options.Add(_noSupervisor);
        Options.Add(_takeOver);
        SetAction(RunAsync);
    }

    /// <summary>The options <paramref name="parseResult"/> stands for (not yet validated).</summary>
    internal ServeOptions ReadOptions(ParseResult parseResult)
    {
        var socket = parseResult.GetValue(_socket) ?? "";
        return new ServeOptions
        {
            SocketPath = socket,
            ListenFd = parseResult.GetValue(_fd),
            SocketUser = parseResult.GetValue(_socketUser),
            SocketGroup = parseResult.GetValue(_socketGroup),
            // With --fd the default comes from the inherited socket's path (ServeOptions.WithInheritedSocket).
            ApiPath = parseResult.GetValue(_api) ?? (socket.Length > 0 ? ApiRoutes.DefaultApiSocket(socket) : ""),
            Device = ServeFeatureList.ToDeviceOptions(
                parseResult.GetValue(_features) ?? ServeFeatureList.Default,
                parseResult.GetValue(_sgBit),
                parseResult.GetRequiredValue(_release) == "per-page" ? ReleasePolicy.PerPage : ReleasePolicy.Coalesce)
                with
                {
                    DeferRelease = parseResult.GetValue(_deferRelease),
                    Granularity = parseResult.GetRequiredValue(_granularity) == "4k" ? ReleaseGranularity.Page4K : ReleaseGranularity.HostPage,
                },
            AllowUnsealedMemory = parseResult.GetValue(_allowUnsealedMemory),
            StatsIntervalSeconds = parseResult.GetValue(_statsInterval),
            InitialTargetBytes = parseResult.GetValue(_target),
            LogLevel = ServeLogging.ParseLevel(parseResult.GetRequiredValue(_logLevel)),
            LogFormat = ServeLogging.TryParseFormat(parseResult.GetRequiredValue(_logFormat)) ?? ServeLogFormat.Simple,
        };
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken ct)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        if (parseResult.GetValue(_printCapabilities))
        {
            // "Other options and arguments should be ignored, and the backend program should not perform its normal function."
            await stdout.WriteLineAsync(ServeCapabilities.ToJson()).ConfigureAwait(false);
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        var options = ReadOptions(parseResult);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await stderr.WriteLineAsync($"ballast serve: {error}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        // System.CommandLine stops a command on Ctrl+C/SIGTERM only once the command first yields. A worker whose API
        // started without yielding tells its supervisor it serves before that, and a SIGTERM the supervisor passes on
        // at once would kill it (exit code 143): the real program handles both signals from here on.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = CanSupervise ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop) : null;
        using var sigint = CanSupervise ? PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop) : null;
        ct = stop.Token;

        var loggerFactory = _loggerFactory(new ServeLogSettings(options.LogLevel, options.LogFormat));
        SupervisedWorker? worker = null;
        ResumeSet? inherited = null;
        try
        {
            try
            {
                worker = SupervisedWorker.FromEnvironment();
                // A worker gets its sockets from the supervisor; the process started by the user or systemd takes them.
                if (worker is null)
                    (inherited, options) = ServeListeners.Take(options);
                else
                    options = ServeListeners.FromSupervisor(options);
            }
            catch (InvalidOperationException e)
            {
                await stderr.WriteLineAsync($"ballast serve: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            var takeOver = parseResult.GetValue(_takeOver);
            if (worker is null && (takeOver || (CanSupervise && !parseResult.GetValue(_noSupervisor))))
            {
                if (!CanSupervise || parseResult.GetValue(_noSupervisor))
                {
                    await stderr.WriteLineAsync("ballast serve: --take-over needs the supervisor (drop --no-supervisor)").ConfigureAwait(false);
                    return ExitCodes.Usage;
                }
                // The worker is this very command line (without --take-over); it finds its supervisor in its environment.
                var (file, arguments) = ServeSupervisor.ThisProgram(Environment.GetCommandLineArgs().Skip(1).Where(a => a != "--take-over"));
                var supervisor = new ServeSupervisor(file, arguments, ServeSupervisor.TakeOverPath(options.SocketPath),
                    loggerFactory.CreateLogger<ServeSupervisor>());
                ServeListeners.PassToWorkers(options);
                if (!takeOver)
                    return await supervisor.RunAsync(ct, inherited).ConfigureAwait(false);
                try
                {
                    return await supervisor.TakeOverAsync(ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    await stderr.WriteLineAsync($"ballast serve: {e.Message}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
            }
            return await ServeDaemon.RunAsync(options, _backendFactory, loggerFactory, stdout, stderr, ct, worker, inherited).ConfigureAwait(false);
        }
        finally
        {
            inherited?.Dispose();
            worker?.Dispose();
            // Flushes the logger's writer.
            loggerFactory.Dispose();
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
