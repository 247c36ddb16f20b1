using Ballast.Linux;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Ballast.Daemon.Client;
using Ballast.TestKit;
using Ballast.Daemon;

namespace Ballast.Cli.Tests.Serve;

/// <summary>The built <c>ballast serve</c> as a real process: it serves the API and stops cleanly on a signal.</summary>
public partial class ServeProcessTests
{
    private const int SIGINT = 2;
    private const int SIGTERM = 15;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(SIGTERM)]
    [InlineData(SIGINT)]
    public async Task Serve_AnswersTheApi_AndOnSignalExitsZeroRemovingItsSockets(int signal)
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        using var process = StartBallast(stdout, stderr, "serve", "--socket", socket, "--api", api, "--features", "stats,sg", "--log-level", "debug");
        try
        {
            // The QEMU arguments come once the API listens (with mode 0600).
            var ready = await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-global", StringComparison.Ordinal) || process.HasExited, s_timeout);
            Assert.True(ready && !process.HasExited, $"serve did not start: {stderr}");
            Assert.Equal(UnixMode.OwnerReadWrite, UnixMode.Of(api));
            Assert.True(UnixSocketFile.IsSocket(socket), "the vhost-user socket is not there");

            using (var client = new BalloonApiClient(api))
            {
                var state = await client.GetBalloonAsync();
                Assert.False(state.Connected);
                Assert.Equal(["stats", "sg"], state.Features);
                Assert.Equal(0UL, state.TargetBytes);
            }

            Assert.Equal(0, kill(process.Id, signal));
            using var timeout = new CancellationTokenSource(s_timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"serve did not exit within {s_timeout.TotalSeconds} s of signal {signal}; stderr:\n{stderr}\nstdout:\n{stdout}");
            }

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {stderr}");
            Assert.False(Path.Exists(api), "the API socket is still there");
            Assert.False(Path.Exists(socket), "the vhost-user socket is still there");
            Assert.Contains($"-chardev socket,id=ballast0,path={socket}", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("num_vqs=3,config_size=8", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("management API listening", stderr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("info:", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Serve_BadSgBit_ExitsWithUsage()
    {
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        // A path of this test's own (never a fixed one: runs may overlap); options are checked before anything is bound.
        var socket = Path.Combine(Path.GetTempPath(), $"ballast-never-{Guid.NewGuid():N}.sock");
        using var process = StartBallast(stdout, stderr, "serve", "--socket", socket, "--sg-bit", "24");
        try
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(ExitCodes.Usage, process.ExitCode);
            Assert.Contains("--sg-bit: 24 is not allowed", stderr.ToString(), StringComparison.Ordinal);
            Assert.Equal("", stdout.ToString());
            Assert.False(File.Exists(socket), "a rejected command line still bound its socket");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Serve_SocketPathIsARegularFile_FailsAndLeavesIt()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        await File.WriteAllTextAsync(socket, "not a socket");
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        using var process = StartBallast(stdout, stderr, "serve", "--socket", socket);
        try
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(ExitCodes.Failure, process.ExitCode);
            Assert.Contains("exists and is not a socket", stderr.ToString(), StringComparison.Ordinal);
            Assert.Equal("not a socket", await File.ReadAllTextAsync(socket));
            Assert.False(Path.Exists(socket + ".api"));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    private static Process StartBallast(TextWriter stdout, TextWriter stderr, params string[] args)
    {
        // The test project references Ballast.Cli, so ballast.dll and its runtimeconfig sit beside the tests.
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        Assert.True(File.Exists(dll), $"{dll} not found");
        // Through env(1) with SIGINT and SIGTERM back at their default: a test run started in the background of a
        // shell without job control (`cmd &`, nohup) inherits SIGINT ignored, exec keeps it ignored, and the .NET
        // runtime leaves an ignored SIGINT ignored — serve would never see the Ctrl+C this test sends.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT,TERM");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        return StartCaptured(start, stdout, stderr);
    }

    /// <summary>Starts <paramref name="start"/> (output redirected) with its output lines copied to the writers.</summary>
    private static Process StartCaptured(ProcessStartInfo start, TextWriter stdout, TextWriter stderr)
    {
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                stdout.WriteLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                stderr.WriteLine(e.Data);
        };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>kill(2): Process.Kill sends SIGKILL, and these tests need SIGTERM and SIGINT.</summary>
    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
