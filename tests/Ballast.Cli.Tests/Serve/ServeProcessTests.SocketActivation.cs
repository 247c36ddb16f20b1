using System.Diagnostics;
using System.Net.Sockets;
using Ballast.Daemon;
using Ballast.Linux;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// Socket activation with systemd's own <c>systemd-socket-activate</c> (no systemd PID 1 needed): it binds and listens
/// on the vhost-user socket and the API socket, waits for a connection, then execs <c>ballast serve</c> with
/// <c>LISTEN_FDS</c>; the daemon tells the two apart by path, a front-end completes a vhost-user handshake and inflates,
/// the API answers on its activated socket, and SIGTERM ends it with status 0, leaving the socket files to their owner.
/// </summary>
public partial class ServeProcessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Serve_SocketActivated_ServesHandshakeAndApiOnInheritedSockets(bool noSupervisor)
    {
        EnsureSystemdTools();
        using var directory = new TempDirectory();
        var socket = directory.File("vm.sock");
        var api = directory.File("vm.sock.api");
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        var start = new ProcessStartInfo("systemd-socket-activate") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The API first: the daemon goes by the sockets' paths, not their order.
        foreach (var arg in (string[])["-l", api, "-l", socket, "-E", "PATH", "-E", "HOME", "-E", "DOTNET_ROOT", Dotnet(), dll,
            "serve", "--socket-path", socket, "--api", api, "--features", "stats,deflate-on-oom"])
            start.ArgumentList.Add(arg);
        if (noSupervisor)
            start.ArgumentList.Add("--no-supervisor");
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        using var process = StartCaptured(start, stdout, stderr);
        try
        {
            Assert.True(await UnixHttp.WaitUntilAsync(() => UnixSocketFile.IsSocket(socket) || process.HasExited, s_timeout), $"not listening: {stderr}");
            // The first connection starts the daemon; once it serves, a front-end connects for real.
            await ConnectOnceAsync(socket);
            Assert.True(await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-chardev", StringComparison.Ordinal) || process.HasExited, s_timeout),
                $"serve did not start: {stderr}");
            Assert.Contains($"path={socket}", stdout.ToString(), StringComparison.Ordinal);

            using (var guest = new Guest(socket, sg: false))
            {
                Assert.Equal(1024UL, guest.Driver.Inflate(1024));
                await AssertBalloonAsync(api, 1024);
            }

            Assert.Equal(0, kill(process.Id, SIGTERM));
            using var timeout = new CancellationTokenSource(s_timeout);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {stderr}");
            // The files are the socket unit's (here: systemd-socket-activate's): the daemon leaves them.
            Assert.True(UnixSocketFile.IsSocket(socket), "the daemon removed the activated vhost-user socket's file");
            Assert.True(UnixSocketFile.IsSocket(api), "the daemon removed the activated API socket's file");
            Assert.DoesNotContain("fail:", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Serve_SocketActivatedOnAnotherPath_OneLineExit1()
    {
        EnsureSystemdTools();
        using var directory = new TempDirectory();
        var socket = directory.File("vm.sock");
        var other = directory.File("other.sock");
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        var start = new ProcessStartInfo("systemd-socket-activate") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-l", other, "-E", "PATH", "-E", "HOME", "-E", "DOTNET_ROOT", Dotnet(), dll, "serve", "--socket-path", socket])
            start.ArgumentList.Add(arg);
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        using var process = StartCaptured(start, stdout, stderr);
        try
        {
            Assert.True(await UnixHttp.WaitUntilAsync(() => UnixSocketFile.IsSocket(other) || process.HasExited, s_timeout), $"not listening: {stderr}");
            await ConnectOnceAsync(other);
            using var timeout = new CancellationTokenSource(s_timeout);
            await process.WaitForExitAsync(timeout.Token);

            // systemd-socket-activate's own lines end with "Execing ...": the daemon's come after.
            var daemonErr = string.Join('\n', stderr.ToString().Split('\n').SkipWhile(l => !l.StartsWith("Execing ", StringComparison.Ordinal)).Skip(1));
            AssertOneLineError(new Exited(process.ExitCode, stdout.ToString(), daemonErr), ExitCodes.Failure,
                $"ballast serve: the service manager passed a socket listening on {other}, which is neither --socket-path ({socket}) nor --api ({socket}.api)");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Connects to <paramref name="path"/> and closes (the file appears at bind(2), a moment before listen(2)).</summary>
    private static async Task ConnectOnceAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                return;
            }
            catch (SocketException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>The dotnet host's full path (systemd-socket-activate passes only the environment it is told to).</summary>
    private static string Dotnet() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.Combine(Path.GetDirectoryName(Environment.ProcessPath) ?? "/usr/bin", "dotnet");

    /// <summary>Installs what the systemd tests run (Debian's systemd package), through the project's own script.</summary>
    internal static void EnsureSystemdTools()
    {
        var script = Path.Combine(ServeConventionsTests.RepositoryRoot(), "packaging", "systemd", "ensure-tools.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script]) { RedirectStandardError = true, UseShellExecute = false })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{script} failed: {errors}");
    }
}
