using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.VhostUser.Frontend;

namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>
/// QEMU and a guest, simulated in this process: Ballast.VhostUser's frontend connects to a vhost-user socket and
/// the simulated guest's balloon driver (the Linux PFN driver, or the seed's SG one) runs behind it. Like Linux's
/// update_balloon_size work item, a worker inflates or deflates towards the target after every config interrupt.
/// </summary>
internal sealed class SimulatedQemu : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    /// <param name="socketPath">The daemon's vhost-user socket.</param>
    /// <param name="ramBytes">Guest RAM.</param>
    /// <param name="clean">True: free guest memory was never written (releasing it frees no host memory).</param>
    public SimulatedQemu(string socketPath, ulong ramBytes = 64UL << 20, bool clean = true)
    {
        Guest = SimulatedGuest.Create(ramBytes, GuestProfile.Idle, clean);
        try
        {
            Frontend = new VhostUserFrontend(socketPath, Guest.Memory);
            Frontend.ConfigChanged += () => _wake.Release();
            Driver = new BalloonDriver(Guest, Frontend);
            Driver.Probe();
        }
        catch
        {
            Driver?.Dispose();
            Frontend?.Dispose();
            Guest.Dispose();
            throw;
        }
        _worker = Task.Run(FollowTargetAsync);
    }

    public SimulatedGuest Guest { get; }

    public VhostUserFrontend Frontend { get; }

    public BalloonDriver Driver { get; }

    private async Task FollowTargetAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var target = (ulong)Driver.ReadTarget();
            if (target > Driver.NumPages)
                Driver.Inflate(target - Driver.NumPages);
            else if (target < Driver.NumPages)
                Driver.Deflate(Driver.NumPages - target);
            try
            {
                await _wake.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _worker.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
        }
        Driver.Dispose();
        Frontend.Dispose();
        Guest.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }
}
