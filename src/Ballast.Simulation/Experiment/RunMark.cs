using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Experiment;

/// <summary>What the host, the device and the driver showed at one moment of a run: the two ends of a timed part.</summary>
/// <param name="HostBytes">Host memory behind guest RAM (<see cref="SimulatedGuest.HostBytes"/>).</param>
/// <param name="HugePageBytes">Huge pages taken since the guest was made (<see cref="SimulatedGuest.HugePageBytes"/>).</param>
/// <param name="Device">The device's counters.</param>
/// <param name="Kicks">The driver's kicks.</param>
internal readonly record struct RunMark(long HostBytes, long HugePageBytes, BalloonCounters Device, long Kicks)
{
    /// <summary>The mark now.</summary>
    public static RunMark Take(SimulatedGuest guest, BalloonDevice device, BalloonDriver driver) =>
        new(guest.HostBytes, guest.HugePageBytes, device.Counters.Snapshot(), driver.Kicks);
}
