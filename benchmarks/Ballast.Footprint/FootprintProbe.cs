using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;
using Ballast.VhostUser.Frontend;

namespace Ballast.Footprint;

/// <summary>
/// Measures one daemon program (<c>ballast</c> or <c>ballastd</c>): <c>PROGRAM serve --socket S --api S.api</c> with its
/// default supervisor, and <c>PROGRAM balloon get --api S.api</c>.
/// </summary>
internal sealed partial class FootprintProbe(string name, string program)
{
    private const ulong GuestRam = 64UL << 20;
    private const int SigTerm = 15;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>The program's name in the output.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// Start-to-listening, <paramref name="runs"/> times: from just before the exec to the first connect(2) on the
    /// vhost-user socket that succeeds (polled every 0.2 ms). Each daemon is stopped (SIGTERM) before the next starts.
    /// </summary>
    public List<double> StartToListening(int runs)
    {
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            using var directory = new ScratchDirectory();
            var socket = directory.File("b.sock");
            var clock = Stopwatch.StartNew();
            using var daemon = Start("serve", "--socket", socket, "--api", socket + ".api");
            WaitConnectable(socket, daemon);
            times.Add(clock.Elapsed.TotalMilliseconds);
            Stop(daemon);
        }
        return times;
    }

    /// <summary>
    /// Starts <c>serve</c>, connects a front-end whose simulated guest (64 MiB) sets up guest memory and the rings,
    /// waits <paramref name="idle"/>, and reads the supervisor's and the worker's status; then runs <c>balloon get</c>
    /// <paramref name="getRuns"/> times against it (wall time from exec to exit, ms).
    /// </summary>
    public (List<ProcessStatus> Processes, List<double> GetTimes) IdleAndGet(TimeSpan idle, int getRuns)
    {
        using var directory = new ScratchDirectory();
        var socket = directory.File("b.sock");
        var api = socket + ".api";
        using var daemon = Start("serve", "--socket", socket, "--api", api);
        try
        {
            WaitConnectable(socket, daemon);
            using var guest = SimulatedGuest.Create(GuestRam, GuestProfile.Idle, clean: true);
            using var frontend = new VhostUserFrontend(socket, guest.Memory);
            using var driver = new BalloonDriver(guest, frontend);
            driver.Probe();
            WaitConnectable(api, daemon);
            Thread.Sleep(idle);

            var processes = new List<ProcessStatus> { ProcessStatus.Read(daemon.Id, "supervisor") };
            processes.AddRange(ProcessStatus.Children(daemon.Id).Select(pid => ProcessStatus.Read(pid, "worker")));

            var times = new List<double>(getRuns);
            for (var i = 0; i < getRuns; i++)
            {
                var clock = Stopwatch.StartNew();
                using var get = Start("balloon", "get", "--api", api);
                var output = get.StandardOutput.ReadToEnd();
                get.WaitForExit();
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (get.ExitCode != 0 || !output.Contains("connected", StringComparison.Ordinal))
                    throw new InvalidOperationException($"{Name} balloon get exited {get.ExitCode}: {output}{get.StandardError.ReadToEnd()}");
            }
            return (processes, times);
        }
        finally
        {
            Stop(daemon);
        }
    }

    private Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        // serve logs to stderr and prints QEMU's arguments on stdout: drain both so the pipes never fill.
        if (arguments[0] == "serve")
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        return process;
    }

    private void WaitConnectable(string path, Process daemon)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_timeout)
        {
            if (daemon.HasExited)
                throw new InvalidOperationException($"{Name} serve exited with {daemon.ExitCode} before listening on {path}");
            if (File.Exists(path))
            {
                using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    probe.Connect(new UnixDomainSocketEndPoint(path));
                    return;
                }
                catch (SocketException)
                {
                    // Bound but not listening yet.
                }
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(0.2));
        }
        throw new TimeoutException($"{Name} serve did not listen on {path} within {s_timeout.TotalSeconds} s");
    }

    private static void Stop(Process daemon)
    {
        if (daemon.HasExited)
            return;
        _ = kill(daemon.Id, SigTerm);
        if (!daemon.WaitForExit(TimeSpan.FromSeconds(5)))
            daemon.Kill(entireProcessTree: true);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
