using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.VhostUser.Frontend;

namespace Ballast.Native.Tests.Infrastructure;

/// <summary>QEMU and a 64 MiB guest, simulated: the vhost-user front-end connects and the balloon driver sets up its rings.</summary>
internal sealed class ConnectedGuest : IDisposable
{
    /// <summary>Connects to <paramref name="socket"/> and probes the balloon.</summary>
    public ConnectedGuest(string socket)
    {
        Memory = SimulatedGuest.Create(64UL << 20, GuestProfile.Idle, clean: false);
        Frontend = new VhostUserFrontend(socket, Memory.Memory);
        Driver = new BalloonDriver(Memory, Frontend, new BalloonDriverOptions { DeviceTimeout = TimeSpan.FromSeconds(60) });
        Driver.Probe();
    }

    /// <summary>The guest.</summary>
    public SimulatedGuest Memory { get; }

    /// <summary>The front-end (QEMU's side of the socket).</summary>
    public VhostUserFrontend Frontend { get; }

    /// <summary>The guest's balloon driver.</summary>
    public BalloonDriver Driver { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Driver.Dispose();
        Frontend.Dispose();
        Memory.Dispose();
    }
}
