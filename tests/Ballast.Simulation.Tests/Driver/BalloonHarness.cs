using Ballast.Simulation.InProcess;
using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Driver;

/// <summary>A simulated guest, a device on its own thread and the driver, wired in-process.</summary>
internal sealed class BalloonHarness : IDisposable
{
    public BalloonHarness(ulong ramBytes = 128UL << 20, bool sg = true, ReleasePolicy release = ReleasePolicy.Coalesce,
        GuestProfile profile = GuestProfile.Idle, bool clean = false, BalloonDeviceOptions? device = null,
        BalloonDriverOptions? driver = null, int queueSize = 128)
    {
        Guest = SimulatedGuest.Create(ramBytes, profile, clean);
        Device = new BalloonDevice(device ?? new BalloonDeviceOptions { ScatterGather = sg, Release = release, MustTellHost = true })
        {
            Memory = Guest.Memory,
        };
        Transport = new InProcessTransport(Device, queueSize);
        Driver = new BalloonDriver(Guest, Transport, driver ?? new BalloonDriverOptions { UseScatterGather = sg });
        Driver.Probe();
    }

    public SimulatedGuest Guest { get; }

    public BalloonDevice Device { get; }

    public InProcessTransport Transport { get; }

    public BalloonDriver Driver { get; }

    public Bitmap.XBitmap BalloonedNow()
    {
        var b = new Bitmap.XBitmap();
        foreach (var pfn in Driver.Pages)
            b.Set(pfn);
        return b;
    }

    public void Dispose()
    {
        Driver.Dispose();
        Transport.Dispose();
        Guest.Dispose();
    }
}
