using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.Simulation.InProcess;

namespace Ballast.Simulation.Experiment;

/// <summary>The experiment with the device called directly: the driver's kicks run the device on its own thread.</summary>
public sealed class InProcessRig : ExperimentRig
{
    private readonly InProcessTransport _transport;
    private readonly BalloonDriver _driver;

    internal InProcessRig(SimulatedGuest guest, BalloonDevice device, ExperimentSetup setup)
        : base(guest, device)
    {
        device.Memory = guest.Memory;
        _transport = new InProcessTransport(device, setup.QueueSize);
        try
        {
            _driver = new BalloonDriver(guest, _transport, DriverOptions(setup));
            _driver.Probe();
        }
        catch
        {
            _driver?.Dispose();
            _transport.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override BalloonDriver Driver => _driver;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _driver.Dispose();
            _transport.Dispose();
        }
        base.Dispose(disposing);
    }
}
