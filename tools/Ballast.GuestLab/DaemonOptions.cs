namespace Ballast.GuestLab;

/// <summary>How a <see cref="DaemonProcess"/> (<c>ballast serve</c> as a child process) is started.</summary>
public sealed record DaemonOptions
{
    /// <summary>The vhost-user socket (<c>--socket</c>); for a chrooted QEMU, a path inside QEMU_ROOT.</summary>
    public required string SocketPath { get; init; }

    /// <summary>The management API socket (<c>--api</c>); null for the daemon's default (<c>&lt;socket&gt;.api</c>).</summary>
    public string? ApiPath { get; init; }

    /// <summary><c>--features</c>: e.g. <c>stats,deflate-on-oom</c>, <c>none</c>; null for the daemon's default.</summary>
    public string? Features { get; init; }

    /// <summary><c>--log-level</c>.</summary>
    public string LogLevel { get; init; } = "information";

    /// <summary>Further arguments after <c>serve</c>'s own.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>The <c>ballast.dll</c> to run with <c>dotnet</c>; null for the one this code is in.</summary>
    public string? BallastDll { get; init; }

    /// <summary>How long the daemon may take to listen.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait after SIGTERM before SIGKILL.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);
}
