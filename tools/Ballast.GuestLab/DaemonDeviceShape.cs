using Ballast.Balloon.Device;
using Ballast.Daemon;

namespace Ballast.GuestLab;

/// <summary>
/// What QEMU's <c>vhost-user-test-device</c> must be given for a daemon started with some <c>--features</c>: as many
/// queues as the daemon answers GET_QUEUE_NUM (<see cref="BalloonDevice.QueueCount"/>: inflate, deflate, one for stats,
/// one for page-reporting) and its config space (<see cref="BalloonDevice.ConfigSize"/>: 16 bytes with page-poison or
/// page-reporting, else 8), computed by the device's own rules.
/// </summary>
/// <param name="Queues"><c>num_vqs</c>.</param>
/// <param name="ConfigSize"><c>config_size</c>.</param>
public sealed record DaemonDeviceShape(int Queues, int ConfigSize)
{
    /// <summary>The shape for <c>ballast serve --features <paramref name="features"/></c> (null: the daemon's default set).</summary>
    /// <exception cref="ArgumentException"><paramref name="features"/> names an unknown feature.</exception>
    public static DaemonDeviceShape Of(string? features)
    {
        IReadOnlySet<string> names = ServeFeatureList.Default;
        if (features is not null && !ServeFeatureList.TryParse(features, out names!, out var error))
            throw new ArgumentException(error, nameof(features));
        var options = ServeFeatureList.ToDeviceOptions(names, BalloonFeatures.DefaultSgBit, ReleasePolicy.Coalesce);
        return new DaemonDeviceShape(BalloonDevice.QueueCountFor(options), BalloonDevice.ConfigSizeFor(options));
    }
}
