
namespace Ballast.Simulation.Experiment;

/// <summary>How the simulated guest's driver reaches the balloon device in <c>ballast bench</c>.</summary>
public enum BenchTransport
{
    /// <summary>Device and driver in one process, the device on its own thread; config accesses are calls.</summary>
    InProcess,

    /// <summary>
    /// The real vhost-user protocol over a Unix socket: a C# frontend plays QEMU (shares the memfd, programs the
    /// rings, relays config), a <c>VhostUserServer</c> serves the device, both in this process.
    /// </summary>
    VhostUser,
}
