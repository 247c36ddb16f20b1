using Ballast.Linux;
using Ballast.Balloon.Device;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>What <c>ballast serve</c> was asked to do, after parsing and before validation (<see cref="Validate"/>).</summary>
public sealed record ServeOptions
{
    /// <summary>The vhost-user socket QEMU connects to (<c>--socket</c>).</summary>
    public required string SocketPath { get; init; }

    /// <summary>The management API's socket (<c>--api</c>, default <c>&lt;socket&gt;.api</c>).</summary>
    public required string ApiPath { get; init; }

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
        if (UnixSocketFile.PathError(SocketPath) is { } socketError)
            errors.Add($"--socket: {socketError}");
        if (SocketUser is not null && UnixAccounts.UserId(SocketUser, out var userError) is null)
            errors.Add($"--socket-user: {userError}");
        if (SocketGroup is not null && UnixAccounts.GroupId(SocketGroup, out var groupError) is null)
            errors.Add($"--socket-group: {groupError}");
        if (UnixSocketFile.PathError(ApiPath) is { } apiError)
            errors.Add($"--api: {apiError}");
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

    /// <summary>Who may connect to the vhost-user socket; call after <see cref="Validate"/> found nothing wrong.</summary>
    /// <exception cref="ArgumentException">A user or group does not resolve.</exception>
    public SocketAccess ToSocketAccess() => new()
    {
        User = SocketUser is null ? null : UnixAccounts.UserId(SocketUser, out var userError) ?? throw new ArgumentException(userError, nameof(SocketUser)),
        Group = SocketGroup is null ? null : UnixAccounts.GroupId(SocketGroup, out var groupError) ?? throw new ArgumentException(groupError, nameof(SocketGroup)),
    };
}
