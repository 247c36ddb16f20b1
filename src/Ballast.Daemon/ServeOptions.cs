using Ballast.Linux;
using Ballast.Balloon.Device;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>What <c>ballast serve</c> was asked to do, after parsing and before validation (<see cref="Validate"/>).</summary>
public sealed record ServeOptions
{
    /// <summary>
    /// The vhost-user socket QEMU connects to (<c>--socket-path</c>, alias <c>--socket</c>); with <see cref="ListenFd"/>,
    /// empty until the inherited socket's path is known (<see cref="WithInheritedSocket"/>).
    /// </summary>
    public required string SocketPath { get; init; }

    /// <summary>
    /// The management API's socket (<c>--api</c>, default <c>&lt;socket&gt;.api</c>); empty while it waits for the path of
    /// an inherited vhost-user socket (<see cref="WithInheritedSocket"/>).
    /// </summary>
    public required string ApiPath { get; init; }

    /// <summary>
    /// <c>--fd FDNUM</c>: the vhost-user socket is a listening socket this process was started with, on this descriptor
    /// (QEMU's backend program conventions); null when the daemon binds <see cref="SocketPath"/> itself.
    /// </summary>
    public int? ListenFd { get; init; }

    /// <summary>
    /// True when the vhost-user socket was handed over (<c>--fd</c>, a systemd socket unit): whoever made it owns its
    /// file, so the daemon never claims or removes it.
    /// </summary>
    public bool SocketInherited { get; init; }

    /// <summary>True when the API socket came from a systemd socket unit: its file is left in place on exit.</summary>
    public bool ApiInherited { get; init; }

    /// <summary>The log format (<c>--log-format</c>).</summary>
    public ServeLogFormat LogFormat { get; init; } = ServeLogFormat.Simple;

    /// <summary>
    /// Another user allowed to connect to the vhost-user socket, which is given to it (<c>--socket-user</c>, a name or
    /// a uid); null for the daemon's own user and root only.
    /// </summary>
    public string? SocketUser { get; init; }

    /// <summary>A group allowed to connect: the socket gets it and mode 0660 (<c>--socket-group</c>, a name or a gid).</summary>
    public string? SocketGroup { get; init; }

    /// <summary>The device: features offered, SG bit, release policy.</summary>
    public required BalloonDeviceOptions Device { get; init; }

    /// <summary>Seconds between statistics requests; 0 = off (<c>--stats-interval</c>).</summary>
    public int StatsIntervalSeconds { get; init; }

    /// <summary>
    /// Map guest RAM whose file is not sealed against shrinking (<c>--allow-unsealed-memory</c>): file-backed RAM
    /// (QEMU's memory-backend-file on hugetlbfs or tmpfs) cannot be sealed. The front-end must be trusted not to
    /// truncate it: a truncated file makes the daemon's next access to a lost page fault (SIGBUS) and ends it.
    /// </summary>
    public bool AllowUnsealedMemory { get; init; }

    /// <summary>
    /// The balloon target to set once the first guest's driver is ready (<c>--target</c>), in bytes; null for none (the
    /// target starts at 0).
    /// </summary>
    public long? InitialTargetBytes { get; init; }

    /// <summary>Least severe log level written (<c>--log-level</c>).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Every reason these options cannot run, as sentences naming the option; empty if they can.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        try
        {
            Device.Validate();
        }
        catch (ArgumentOutOfRangeException ex) when (ex.ParamName == nameof(BalloonDeviceOptions.SgBit) && Device.SgBit is >= BalloonFeatures.FreePageHint and <= 23)
        {
            errors.Add($"--sg-bit: {Device.SgBit} is taken by a feature in --features (4 is page-poison, 5 is page-reporting)");
        }
        catch (ArgumentOutOfRangeException ex) when (ex.ParamName == nameof(BalloonDeviceOptions.SgBit))
        {
            errors.Add($"--sg-bit: {Device.SgBit} is not allowed: the SG feature bit must be a device-specific bit from 3 to 23 "
                + "(0-2 are MUST_TELL_HOST, STATS_VQ and DEFLATE_ON_OOM; 24 and up belong to the transport)");
        }
        catch (ArgumentException) when (Device.DeferRelease && !Device.MustTellHost)
        {
            errors.Add("--defer-release: needs must-tell-host in --features: without it the guest may reuse a deflated page before "
                + "its queued release ran (VIRTIO 1.2 §5.5.6.1)");
        }
        catch (ArgumentException) when (Device.DeferRelease && Device.Release != ReleasePolicy.Coalesce)
        {
            errors.Add("--defer-release: works with --release coalesce only");
        }
        string? socketError = null;
        if (ListenFd is not null && !string.IsNullOrEmpty(SocketPath) && !SocketInherited)
            errors.Add("--fd: give either --socket-path or --fd, not both (the conventions make them incompatible)");
        else if (ListenFd is null && string.IsNullOrEmpty(SocketPath))
            errors.Add("--socket-path: give the vhost-user socket to create (--socket-path PATH), or an inherited one (--fd FDNUM)");
        else if (ListenFd is null && (socketError = UnixSocketFile.PathError(SocketPath)) is not null)
            errors.Add($"--socket-path: {socketError}");
        if (SocketUser is not null && UnixAccounts.UserId(SocketUser, out var userError) is null)
            errors.Add($"--socket-user: {userError}");
        if (SocketGroup is not null && UnixAccounts.GroupId(SocketGroup, out var groupError) is null)
            errors.Add($"--socket-group: {groupError}");
        if (ApiPath.Length == 0)
        {
            // Filled in from the inherited socket's path (WithInheritedSocket).
        }
        else if (UnixSocketFile.PathError(ApiPath) is { } apiError)
        {
            // A missing directory is said once, for --socket-path, when the API's default path shares it.
            if (apiError != socketError)
                errors.Add($"--api: {apiError}");
        }
        else if (!string.IsNullOrWhiteSpace(SocketPath) && Path.GetFullPath(ApiPath) == Path.GetFullPath(SocketPath))
            errors.Add("--api: the API socket must not be the vhost-user socket");
        if (InitialTargetBytes is { } target && BalloonTarget.CheckBytes(target) is { } targetError)
            errors.Add($"--target: {targetError.Replace("target_bytes", "the target", StringComparison.Ordinal)}");
        if (!StatisticsPoller.IsValidInterval(StatsIntervalSeconds))
            errors.Add($"--stats-interval: {StatsIntervalSeconds} is not allowed: give 0 (off) to {StatisticsPoller.MaxIntervalSeconds} seconds");
        else if (StatsIntervalSeconds > 0 && !Device.StatsQueue)
            errors.Add("--stats-interval: polling needs the stats feature (add stats to --features)");
        return errors;
    }

    /// <summary>
    /// These options with the vhost-user socket's path taken from the inherited socket (<paramref name="boundPath"/>,
    /// from getsockname(2)), and the API's default path (<c>&lt;socket&gt;.api</c>) derived from it when <c>--api</c> was
    /// not given.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket is not bound to a path (abstract or unnamed).</exception>
    public ServeOptions WithInheritedSocket(string boundPath)
    {
        ArgumentNullException.ThrowIfNull(boundPath);
        if (boundPath.Length == 0)
            throw new InvalidOperationException($"--fd: the socket on descriptor {ListenFd} is not bound to a path (an abstract or unnamed socket); give one bound to a file");
        return this with
        {
            SocketPath = boundPath,
            ApiPath = ApiPath.Length > 0 ? ApiPath : boundPath + ".api",
            SocketInherited = true,
        };
    }

    /// <summary>Who may connect to the vhost-user socket; call after <see cref="Validate"/> found nothing wrong.</summary>
    /// <exception cref="ArgumentException">A user or group does not resolve.</exception>
    public SocketAccess ToSocketAccess() => new()
    {
        User = SocketUser is null ? null : UnixAccounts.UserId(SocketUser, out var userError) ?? throw new ArgumentException(userError, nameof(SocketUser)),
        Group = SocketGroup is null ? null : UnixAccounts.GroupId(SocketGroup, out var groupError) ?? throw new ArgumentException(groupError, nameof(SocketGroup)),
    };
}
