using System.Diagnostics;
using Ballast.Bitmap;
using Ballast.Daemon.Client;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.TestKit;
using Ballast.VhostUser.Frontend;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// The supervisor of a plain <c>ballast serve</c>, with a simulated guest and its driver playing QEMU over the real
/// protocol: a <c>kill -9</c> of the worker, or a <c>serve --take-over</c>, in the middle of a session. The front-end's
/// connection never closes (its next request would fail if it had), and the balloon goes on where it was.
/// </summary>
public partial class ServeProcessTests
{
    private const ulong GuestRam = 64UL << 20;
    private const int PageBytes = 4096;

    /// <summary>A daemon process with its output.</summary>
    private sealed class Daemon(Process process, LockedStringWriter stdout, LockedStringWriter stderr) : IDisposable
    {
        public Process Process { get; } = process;

        public string Log => $"stderr:\n{stderr}\nstdout:\n{stdout}";

        public int ServesLogged => stderr.ToString().Split('\n').Count(l => l.Contains("supervisor: worker", StringComparison.Ordinal)
            && l.Contains(" serves (", StringComparison.Ordinal));

        /// <summary>The supervisor's worker (its child); null between two workers.</summary>
        public int? Worker()
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out _))
                    continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (fields[0] != "Z" && int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == Process.Id)
                        return int.Parse(Path.GetFileName(dir), System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
            return null;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
                Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static async Task<Daemon> StartServeAsync(string socket, string api, string features, params string[] extra)
    {
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        var process = StartBallast(stdout, stderr, ["serve", "--socket", socket, "--api", api, "--features", features, .. extra]);
        var daemon = new Daemon(process, stdout, stderr);
        var ready = await UnixHttp.WaitUntilAsync(() => daemon.ServesLogged > 0 || process.HasExited, s_timeout);
        Assert.True(ready && !process.HasExited, $"serve did not start: {daemon.Log}");
        return daemon;
    }

    /// <summary>The simulated guest, its driver, and the front-end playing QEMU.</summary>
    private sealed class Guest : IDisposable
    {
        public Guest(string socket, bool sg)
        {
            Memory = SimulatedGuest.Create(GuestRam, GuestProfile.Idle, clean: false);
            Frontend = new VhostUserFrontend(socket, Memory.Memory);
            Driver = new BalloonDriver(Memory, Frontend, new BalloonDriverOptions { UseScatterGather = sg, DeviceTimeout = s_timeout });
            Driver.Probe();
        }

        public SimulatedGuest Memory { get; }

        public VhostUserFrontend Frontend { get; }

        public BalloonDriver Driver { get; }

        public XBitmap Ballooned()
        {
            var b = new XBitmap();
            foreach (var pfn in Driver.Pages)
                b.Set(pfn);
            return b;
        }

        public void Dispose()
        {
            Driver.Dispose();
            Frontend.Dispose();
            Memory.Dispose();
        }
    }

    private static async Task AssertBalloonAsync(string api, ulong pages)
    {
        using var client = new BalloonApiClient(api);
        var state = await client.GetBalloonAsync();
        Assert.True(state.Connected, "the daemon does not show the front-end connected");
        Assert.Equal(pages * PageBytes, state.ActualBytes);
        Assert.Equal(pages * PageBytes, state.BalloonedBytes);
    }

    private static async Task KillWorkerAsync(Daemon daemon)
    {
        var before = daemon.ServesLogged;
        var worker = daemon.Worker() ?? throw new InvalidOperationException($"no worker: {daemon.Log}");
        Assert.Equal(0, kill(worker, 9));
        var back = await UnixHttp.WaitUntilAsync(() => daemon.ServesLogged > before || daemon.Process.HasExited, s_timeout);
        Assert.True(back && !daemon.Process.HasExited, $"no new worker after kill -9 {worker}: {daemon.Log}");
    }

    [Theory]
    [InlineData(true, "stats,deflate-on-oom,sg,must-tell-host")]
    [InlineData(false, "stats,deflate-on-oom")]
    public async Task KillWorker_MidSession_TheConnectionStaysOpen_AndTheBalloonGoesOn(bool sg, string features)
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var daemon = await StartServeAsync(socket, api, features);
        using var guest = new Guest(socket, sg);
        var hostBefore = guest.Memory.HostBytes;

        Assert.Equal(4096UL, guest.Driver.Inflate(4096));
        await AssertBalloonAsync(api, 4096);
        await KillWorkerAsync(daemon);
        await AssertBalloonAsync(api, 4096);

        // The same connection, served by the new worker.
        Assert.Equal(2048UL, guest.Driver.Inflate(2048));
        await AssertBalloonAsync(api, 6144);
        Assert.True(hostBefore - guest.Memory.HostBytes >= 6144L * PageBytes,
            $"host memory behind guest RAM dropped by {(hostBefore - guest.Memory.HostBytes) / PageBytes} pages, not 6144");
        var ballooned = guest.Ballooned();

        await KillWorkerAsync(daemon);
        Assert.Equal(6144UL, guest.Driver.Deflate(6144));
        await AssertBalloonAsync(api, 0);
        Assert.Equal("ok", guest.Memory.CheckIntegrity(ballooned).ToString());
        Assert.Equal(2, daemon.ServesLogged - 1);
    }

    [Fact]
    public async Task KillWorker_DuringAnInflate_TheInflateFinishes()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var daemon = await StartServeAsync(socket, api, "stats,deflate-on-oom");
        using var guest = new Guest(socket, sg: false);

        // 48 MiB in 256-page buffers: hundreds of round trips, long enough to be cut by the kill.
        var inflate = Task.Run(() => guest.Driver.Inflate(12288));
        await UnixHttp.WaitUntilAsync(() => guest.Driver.NumPages >= 1024 || inflate.IsCompleted, s_timeout);
        await KillWorkerAsync(daemon);

        Assert.Equal(12288UL, await inflate.WaitAsync(s_timeout));
        await AssertBalloonAsync(api, 12288);
        var ballooned = guest.Ballooned();
        Assert.Equal(12288UL, guest.Driver.Deflate(12288));
        await AssertBalloonAsync(api, 0);
        Assert.Equal("ok", guest.Memory.CheckIntegrity(ballooned).ToString());
    }

    [Fact]
    public async Task TakeOver_MidSession_TheOldDaemonExitsZero_AndTheNewOneCarriesOn()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var old = await StartServeAsync(socket, api, "stats,deflate-on-oom");
        using var guest = new Guest(socket, sg: false);
        Assert.Equal(4096UL, guest.Driver.Inflate(4096));

        using var successor = await StartServeAsync(socket, api, "stats,deflate-on-oom", "--take-over");
        using (var timeout = new CancellationTokenSource(s_timeout))
            await old.Process.WaitForExitAsync(timeout.Token);
        Assert.True(old.Process.ExitCode == 0, $"the old daemon exited with {old.Process.ExitCode}: {old.Log}");
        Assert.Contains("handover: the session resumed", successor.Log, StringComparison.Ordinal);
        await AssertBalloonAsync(api, 4096);

        Assert.Equal(2048UL, guest.Driver.Inflate(2048));
        await AssertBalloonAsync(api, 6144);
        Assert.Equal(6144UL, guest.Driver.Deflate(6144));
        await AssertBalloonAsync(api, 0);
    }
}
