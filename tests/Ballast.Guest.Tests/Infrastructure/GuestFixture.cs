using Ballast.GuestLab;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// The <see cref="GuestCollection"/>'s fixture: makes sure the guest artifacts exist — a missing kernel, initramfs or
/// QEMU chroot is built by <c>guest/ensure.sh</c> (≈ 7 minutes cold), never skipped — and keeps a list of every
/// daemon and QEMU a test started through it, so that whatever a failing test left running is stopped, by pid,
/// when the collection ends. Nothing else is ever signalled.
/// </summary>
public sealed class GuestFixture : IAsyncLifetime
{
    private readonly Lock _lock = new();
    private readonly List<IAsyncDisposable> _started = [];
    private readonly SemaphoreSlim _debianGate = new(1, 1);
    private GuestEnvironment? _environment;
    private GuestEnvironment? _debianEnvironment;

    /// <summary>What ensure.sh printed.</summary>
    public GuestEnvironment Environment => _environment ?? throw new InvalidOperationException("the fixture is not initialised");

    /// <summary>How long ensure.sh took (≈ 0.1 s warm).</summary>
    public TimeSpan EnsureTime { get; private set; }

    /// <summary>Runs guest/ensure.sh (20-minute limit).</summary>
    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || !System.Environment.IsPrivilegedProcess)
            throw new InvalidOperationException("the real-guest tests need Linux and root: QEMU runs in a chroot and ensure.sh installs packages");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _environment = await GuestEnvironment.EnsureAsync(timeout: GuestEnvironment.DefaultEnsureTimeout);
        EnsureTime = clock.Elapsed;
    }

    /// <summary>
    /// Starts a Ballast daemon and a guest attached to it (see <see cref="BallastGuest.StartAsync"/>) and remembers
    /// both so they are stopped at the end of the collection if the test does not stop them.
    /// </summary>
    public async Task<BallastGuest> StartBallastGuestAsync(BallastGuestOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var environment = options.Kernel == GuestKernel.Debian ? await DebianEnvironmentAsync(ct) : Environment;
        var guest = await BallastGuest.StartAsync(environment, options, Track, ct);
        return guest;
    }

    /// <summary>
    /// The artifacts with Debian's prebuilt kernel and its initramfs: <c>ensure.sh --debian-kernel</c>, run once by the
    /// first test that asks (it downloads the kernel package from the machine's apt sources the first time; cached).
    /// </summary>
    public async Task<GuestEnvironment> DebianEnvironmentAsync(CancellationToken ct = default)
    {
        await _debianGate.WaitAsync(ct);
        try
        {
            return _debianEnvironment ??= await GuestEnvironment.EnsureAsync(timeout: GuestEnvironment.DefaultEnsureTimeout, ct: ct,
                arguments: [GuestEnvironment.EnsureDebianKernelArgument]);
        }
        finally
        {
            _debianGate.Release();
        }
    }

    /// <summary>Remembers <paramref name="started"/> (a daemon or QEMU this collection started) for the final clean-up.</summary>
    public void Track(IAsyncDisposable started)
    {
        lock (_lock)
            _started.Add(started);
    }

    /// <summary>Stops, in reverse order, everything tests started and left running.</summary>
    public async Task DisposeAsync()
    {
        IAsyncDisposable[] started;
        lock (_lock)
        {
            started = [.. _started];
            _started.Clear();
        }
        foreach (var item in started.Reverse())
            await item.DisposeAsync();
        _debianGate.Dispose();
    }
}
