using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.Bitmap;
using Ballast.VhostUser.Frontend;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// The whole stack over the protocol: a simulated guest, its driver on a <see cref="VhostUserFrontend"/>, and the
/// device behind a <see cref="VhostUserServer"/>.
/// </summary>
internal sealed class GuestHarness : IDisposable
{
    public GuestHarness(bool sg = true, ulong ramBytes = 64UL << 20, ReleasePolicy release = ReleasePolicy.Coalesce,
        ServerHarness? server = null, bool clean = true)
    {
        OwnsServer = server is null;
        Server = server ?? new ServerHarness(new BalloonDeviceOptions { ScatterGather = sg, Release = release, MustTellHost = true });
        Guest = SimulatedGuest.Create(ramBytes, GuestProfile.Idle, clean);
        Frontend = new VhostUserFrontend(Server.SocketPath, Guest.Memory, Server.Logs.CreateLogger("frontend"));
        Driver = new BalloonDriver(Guest, Frontend, new BalloonDriverOptions { UseScatterGather = sg, DeviceTimeout = TimeSpan.FromSeconds(10) });
        Driver.Probe();
    }

    private bool OwnsServer { get; }

    public ServerHarness Server { get; }

    public BalloonDevice Device => Server.Device;

    public SimulatedGuest Guest { get; }

    public VhostUserFrontend Frontend { get; }

    public BalloonDriver Driver { get; }

    public XBitmap BalloonedNow()
    {
        var b = new XBitmap();
        foreach (var pfn in Driver.Pages)
            b.Set(pfn);
        return b;
    }

    /// <summary>Disposes the guest side; the server too unless it was handed in.</summary>
    public void Dispose()
    {
        Driver.Dispose();
        Frontend.Dispose();
        Guest.Dispose();
        if (OwnsServer)
            Server.Dispose();
    }
}
