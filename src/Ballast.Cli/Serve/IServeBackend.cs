using Ballast.Balloon.Device;

namespace Ballast.Cli.Serve;

/// <summary>
/// The transport <c>ballast serve</c> runs: an <see cref="IBalloonBackend"/> that serves guests on the
/// vhost-user socket until cancelled. It tells QEMU about target changes itself (it listens to
/// <see cref="BalloonDevice.ConfigChanged"/>).
/// </summary>
public interface IServeBackend : IBalloonBackend
{
    /// <summary>Serves until <paramref name="ct"/> is cancelled, then returns (without throwing for that cancellation).</summary>
    Task RunAsync(CancellationToken ct);
}
