using Ballast.Balloon.Device;
using Ballast.Linux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Simulation.InProcess;

/// <summary>
/// The device thread for an in-process transport: sleeps in poll(2) on each queue's kick eventfd and
/// processes the queue that was kicked. Stopped by <see cref="Dispose"/> through its own eventfd.
/// </summary>
public sealed class BalloonDeviceLoop : IDisposable
{
    private readonly BalloonDevice _device;
    private readonly EventFd[] _fds;   // [0] = stop, [1 + q] = kick of queue q
    private readonly Thread _thread;
    private readonly ILogger _logger;

    /// <summary>Starts the thread; <paramref name="kicks"/>[q] is queue q's kick eventfd.</summary>
    public BalloonDeviceLoop(BalloonDevice device, IReadOnlyList<EventFd> kicks, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(kicks);
        _device = device;
        _logger = logger ?? NullLogger.Instance;
        _fds = [new EventFd(), .. kicks];
        _thread = new Thread(Run) { IsBackground = true, Name = "ballast-device" };
        _thread.Start();
    }

    private void Run()
    {
        while (true)
        {
            var ready = EventFd.WaitAny(_fds);
            if (ready == 0)
                return;
            _fds[ready].TryConsume();
            try
            {
                _device.ProcessQueue(ready - 1);
            }
            catch (Exception e)
            {
                // Guest input never throws; this is a host-side bug. Keep the device thread alive for the log.
                SimulationLog.QueueProcessingFailed(_logger, ready - 1, e);
            }
        }
    }

    /// <summary>Stops and joins the thread.</summary>
    public void Dispose()
    {
        _fds[0].Signal();
        _thread.Join();
        _fds[0].Dispose();
    }
}
