using Ballast.Balloon.Device;

namespace Ballast.Daemon;

/// <summary>
/// The transport <c>ballast serve</c> runs: an <see cref="IBalloonBackend"/> that serves guests on the
/// vhost-user socket until cancelled. It tells QEMU about target changes itself (it listens to
/// <see cref="BalloonDevice.ConfigChanged"/>).
/// </summary>
public interface IServeBackend : IBalloonBackend
{
    /// <summary>
    /// Serves until <paramref name="ct"/> is cancelled, then completes (without throwing for that cancellation). The
    /// socket is ready for QEMU by the time the task is returned.
    /// </summary>
    Task RunAsync(CancellationToken ct);
}
