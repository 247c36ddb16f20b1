using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.VhostUser;
using Ballast.VhostUser.Frontend;
using Microsoft.Extensions.Logging;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// The experiment over the real protocol: the device served by <see cref="VhostUserServer"/> on a Unix socket in a
/// temporary directory, the driver's transport an in-process <see cref="VhostUserFrontend"/> playing QEMU.
/// </summary>
public sealed class VhostUserRig : ExperimentRig
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _directory;
    private readonly VhostUserServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly VhostUserFrontend? _frontend;
    private readonly BalloonDriver? _driver;

    internal VhostUserRig(SimulatedGuest guest, BalloonDevice device, ExperimentSetup setup, ILoggerFactory loggerFactory)
        : base(guest, device)
    {
        _directory = Directory.CreateTempSubdirectory("ballast-vhost-bench-");
        _server = new VhostUserServer(Path.Combine(_directory.FullName, "balloon.sock"), device, loggerFactory);
        _serving = _server.RunAsync(_stop.Token);
        try
        {
            _frontend = new VhostUserFrontend(_server.SocketPath, guest.Memory, loggerFactory.CreateLogger<VhostUserFrontend>())
            {
                QueueSize = setup.QueueSize,
            };
            _driver = new BalloonDriver(guest, _frontend, DriverOptions(setup));
            _driver.Probe();
        }
        catch
        {
            Stop();
            throw;
        }
    }

    /// <inheritdoc/>
    public override BalloonDriver Driver => _driver!;

    /// <summary>The vhost-user socket the device is served on (in a directory of its own, removed on dispose).</summary>
    public string SocketPath => _server.SocketPath;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Stop();
        base.Dispose(disposing);
    }

    private void Stop()
    {
        _driver?.Dispose();
        _frontend?.Dispose();
        _stop.Cancel();
        _serving.Wait(StopTimeout);
        _server.Dispose();
        _stop.Dispose();
        _directory.Delete(recursive: true);
    }
}
