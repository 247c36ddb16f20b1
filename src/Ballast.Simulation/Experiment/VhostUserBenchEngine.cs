using Ballast.Virtio.Memory;
using Ballast.VhostUser;
using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.VhostUser.Frontend;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// The seed's experiment over the real vhost-user protocol, in one process: a simulated guest whose driver talks
/// to a <see cref="VhostUserFrontend"/> (playing QEMU), which talks over a Unix socket in a temporary directory to
/// a <see cref="VhostUserServer"/> serving the <see cref="BalloonDevice"/>. Guest memory reaches the device as
/// descriptors (SET_MEM_TABLE) and is mapped a second time, kicks and interrupts are eventfds the back-end polls,
/// and every config access is a socket round trip — everything but QEMU and a real guest.
/// </summary>
public sealed class VhostUserBenchEngine
{
    private const int PageShift = GuestPage.Shift;

    /// <summary>Virtqueue size the frontend offers (QEMU's balloon uses 128, like the in-process engine).</summary>
    public int QueueSize { get; init; } = 128;

    /// <summary>Where the server and the frontend log; nothing by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Runs one mode: restores a guest of <paramref name="guestMemBytes"/> with <paramref name="profile"/>, starts the
    /// server and the frontend, probes the driver, inflates by <paramref name="inflateBytes"/> (timed, with the
    /// stage breakdown), deflates it all (timed), and checks the guest's memory.
    /// </summary>
    /// <param name="guestMemBytes">Guest RAM; a multiple of 4 MiB, at least 32 MiB.</param>
    /// <param name="inflateBytes">How much to inflate.</param>
    /// <param name="sg">The seed's scatter-gather driver and device (else the Linux PFN driver).</param>
    /// <param name="release">The device's PFN release policy (PerPage for the pfn-per-page mode).</param>
    /// <param name="profile">What the guest's memory looks like.</param>
    /// <param name="clean">A freshly booted guest (free memory never touched).</param>
    /// <param name="zeroOnAlloc">The guest zeroes pages it allocates (init_on_alloc).</param>
    /// <param name="progress">Pages inflated so far, reported by the driver after each batch.</param>
    /// <param name="deflateProgress">Pages deflated so far.</param>
    /// <exception cref="InvalidOperationException">The driver failed, or the device counted guest errors in this clean run.</exception>
    public ModeMeasurement Measure(ulong guestMemBytes, ulong inflateBytes, bool sg, ReleasePolicy release, GuestProfile profile,
        bool clean, bool zeroOnAlloc, IProgress<ulong>? progress, IProgress<ulong>? deflateProgress = null)
    {
        var loggerFactory = LoggerFactory ?? NullLoggerFactory.Instance;
        using var guest = SimulatedGuest.Create(guestMemBytes, profile, clean);
        var device = new BalloonDevice(new BalloonDeviceOptions
        {
            ScatterGather = sg,
            Release = release,
            MustTellHost = true,
        }, loggerFactory.CreateLogger<BalloonDevice>());
        var dir = Directory.CreateTempSubdirectory("ballast-vhost-bench-");
        var server = new VhostUserServer(Path.Combine(dir.FullName, "balloon.sock"), device, loggerFactory);
        using var stop = new CancellationTokenSource();
        var serving = server.RunAsync(stop.Token);
        try
        {
            using var frontend = new VhostUserFrontend(server.SocketPath, guest.Memory, loggerFactory.CreateLogger<VhostUserFrontend>())
            {
                QueueSize = QueueSize,
            };
            using var driver = new BalloonDriver(guest, frontend, new BalloonDriverOptions
            {
                UseScatterGather = sg,
                ZeroOnAlloc = zeroOnAlloc,
            });
            driver.Probe();
            return BalloonExperiment.Measure(guest, device, driver, inflateBytes >> PageShift, progress, deflateProgress);
        }
        finally
        {
            stop.Cancel();
            serving.Wait(TimeSpan.FromSeconds(30));
            server.Dispose();
            dir.Delete(recursive: true);
        }
    }
}
