using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// What one run of the seed's experiment stands on: a simulated guest, the balloon device over its RAM, and the
/// guest's driver probed through a transport — the switch between <see cref="BenchTransport.InProcess"/> (the device
/// called directly, <see cref="InProcessRig"/>) and <see cref="BenchTransport.VhostUser"/> (the real protocol over a
/// Unix socket, <see cref="VhostUserRig"/>). <see cref="BalloonExperiment"/> measures on either the same way.
/// </summary>
public abstract class ExperimentRig : IDisposable
{
    private protected ExperimentRig(SimulatedGuest guest, BalloonDevice device)
    {
        Guest = guest;
        Device = device;
    }

    /// <summary>The simulated guest.</summary>
    public SimulatedGuest Guest { get; }

    /// <summary>The balloon device over the guest's RAM.</summary>
    public BalloonDevice Device { get; }

    /// <summary>The guest's balloon driver, probed.</summary>
    public abstract BalloonDriver Driver { get; }

    /// <summary>Builds the guest, the device and a probed driver over <paramref name="transport"/>.</summary>
    public static ExperimentRig Create(BenchTransport transport, ExperimentSetup setup, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(setup);
        loggerFactory ??= NullLoggerFactory.Instance;
        var guest = SimulatedGuest.Create(setup.GuestMemBytes, setup.Profile, setup.Clean, backing: setup.Backing);
        try
        {
            var device = new BalloonDevice(new BalloonDeviceOptions
            {
                ScatterGather = setup.ScatterGather,
                PageReporting = setup.PageReporting,
                Release = setup.Release,
                Granularity = setup.Granularity,
                MustTellHost = true,
            }, loggerFactory.CreateLogger<BalloonDevice>());
            return transport switch
            {
                BenchTransport.InProcess => new InProcessRig(guest, device, setup),
                BenchTransport.VhostUser => new VhostUserRig(guest, device, setup, loggerFactory),
                _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "no such transport"),
            };
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    /// <summary>The driver options <paramref name="setup"/> asks for.</summary>
    private protected static BalloonDriverOptions DriverOptions(ExperimentSetup setup) => new()
    {
        UseScatterGather = setup.ScatterGather,
        ZeroOnAlloc = setup.ZeroOnAlloc,
    };

    /// <summary>Stops the driver, the transport and the guest.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the driver and the transport (subclasses), then the guest.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            Guest.Dispose();
    }
}
