using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Ballast.Daemon;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// Every start-up error of the real program is one line on standard error, without a stack trace, with a non-zero
/// exit status — through the supervisor (a plain <c>serve</c>: the worker's error reaches the user) and without it.
/// </summary>
public partial class ServeProcessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Serve_UnwritableSocketDirectory_OneLineExit1(bool noSupervisor)
    {
        using var directory = new TempDirectory();
        // The daemon runs as nobody; its API goes to the open directory, so the vhost-user socket is the one that fails.
        var (locked, open) = LockedAndOpen(directory);
        string[] serve = ["serve", "--socket-path", Path.Combine(locked, "b.sock"), "--api", Path.Combine(open, "api.sock")];

        var result = await RunToExit(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
            noSupervisor ? [.. serve, "--no-supervisor"] : serve);

        AssertOneLineError(result, ExitCodes.Failure, $"ballast serve: cannot listen on '{Path.Combine(locked, "b.sock")}': Permission denied");
        Assert.False(Path.Exists(Path.Combine(open, "api.sock")), "the API socket was left behind");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Serve_UnwritableApiDirectory_OneLineExit1AndNoSocketLeft(bool noSupervisor)
    {
        // The vhost-user socket listens before the API starts (so QEMU may connect early); an API that then cannot
        // start stops the transport, and the vhost-user socket's file goes with it.
        using var directory = new TempDirectory();
        var (locked, open) = LockedAndOpen(directory);
        var socket = Path.Combine(open, "b.sock");
        string[] serve = ["serve", "--socket-path", socket, "--api", Path.Combine(locked, "api.sock")];

        var result = await RunToExit(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
            noSupervisor ? [.. serve, "--no-supervisor"] : serve);

        AssertOneLineError(result, ExitCodes.Failure, Path.Combine(locked, "api.sock"));
        Assert.Contains("Permission denied", result.StdErr, StringComparison.Ordinal);
        Assert.False(Path.Exists(socket), "the vhost-user socket was left behind");
    }

    [Fact]
    public async Task Serve_SocketInUse_OneLineExit1()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        using var other = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        other.Bind(new UnixDomainSocketEndPoint(socket));
        other.Listen();

        var result = await RunToExit([], ["serve", "--socket-path", socket]);

        AssertOneLineError(result, ExitCodes.Failure, $"ballast serve: another process is listening on '{socket}'");
    }

    [Fact]
    public async Task Serve_SocketPathIsARegularFile_OneLineExit1()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        await File.WriteAllTextAsync(socket, "not a socket");

        var result = await RunToExit([], ["serve", "--socket-path", socket]);

        AssertOneLineError(result, ExitCodes.Failure, "exists and is not a socket");
    }

    [Fact]
    public async Task Serve_MissingParentDirectory_OneLineExit2()
    {
        using var directory = new TempDirectory();

        var result = await RunToExit([], ["serve", "--socket-path", Path.Combine(directory.Path, "missing", "b.sock")]);

        AssertOneLineError(result, ExitCodes.Usage, $"ballast serve: --socket-path: the directory '{Path.Combine(directory.Path, "missing")}' does not exist");
    }

    [Theory]
    [InlineData("closed", "ballast serve: --fd: descriptor 250 is not open")]
    [InlineData("file", "ballast serve: --fd: descriptor 9 is not a socket")]
    [InlineData("bound", "ballast serve: --fd: descriptor 9 is a socket that is not listening (give a bound, listening socket)")]
    [InlineData("datagram", "ballast serve: --fd: descriptor 9 is not a Unix stream socket")]
    public async Task Serve_BadFd_OneLineExit1(string kind, string message)
    {
        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(directory.File("plain"), "");
        // python3 puts the descriptor at 9 and execs the daemon with --fd 9 (as a service manager would).
        var make = kind switch
        {
            "closed" => "s = None",
            "file" => $"s = open('{directory.File("plain")}')",
            "bound" => $"s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind('{directory.File("b.sock")}')",
            _ => $"s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind('{directory.File("b.sock")}')",
        };

        // A closed descriptor is a high number: a low one would soon be reused by the runtime's own files.
        var result = await RunToExit(["python3", "-c", LaunchWithFd9(make)], ["serve", "--fd", kind == "closed" ? "250" : "9"], direct: true);

        AssertOneLineError(result, ExitCodes.Failure, message);
    }

    /// <summary>
    /// A python3 program that runs <paramref name="make"/> (which sets <c>s</c> to a file, a socket or None), puts it at
    /// descriptor 9 and execs <c>dotnet ballast.dll</c> with its own arguments.
    /// </summary>
    private static string LaunchWithFd9(string make)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        return "import os, socket, sys\n"
            + $"{make}\n"
            + "if s is not None:\n    os.dup2(s.fileno(), 9)\n"
            + $"os.execvp('dotnet', ['dotnet', '{dll}'] + sys.argv[1:])\n";
    }

    /// <summary>
    /// Two directories in <paramref name="directory"/> for a daemon run as nobody (root writes anywhere): <c>locked</c>
    /// (0755, root's: read-only for nobody) and <c>open</c> (0777).
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static (string Locked, string Open) LockedAndOpen(TempDirectory directory)
    {
        var locked = Path.Combine(directory.Path, "locked");
        Directory.CreateDirectory(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var open = Path.Combine(directory.Path, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1FF);       // 0777
        File.SetUnixFileMode(directory.Path, (UnixFileMode)0x1ED); // 0755
        return (locked, open);
    }

    private sealed record Exited(int ExitCode, string StdOut, string StdErr);

    /// <summary>Runs the daemon (through <paramref name="prefix"/>, e.g. setpriv) until it exits on its own.</summary>
    private static async Task<Exited> RunToExit(string[] prefix, string[] args, bool direct = false)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        string[] command = direct ? [.. prefix, .. args] : [.. prefix, "dotnet", dll, .. args];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        using var process = StartCaptured(start, stdout, stderr);
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{string.Join(' ', command)} did not exit; stderr:\n{stderr}");
        }
        process.WaitForExit();
        return new Exited(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// The exit status is <paramref name="exitCode"/>, and standard error holds exactly one line that is not a log line
    /// (those start with a time stamp), containing <paramref name="message"/>; nothing looks like a stack trace.
    /// </summary>
    private static void AssertOneLineError(Exited result, int exitCode, string message)
    {
        Assert.True(result.ExitCode == exitCode, $"exit status {result.ExitCode}, not {exitCode}; stderr:\n{result.StdErr}");
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => !IsLogLine(l)).ToList();
        Assert.True(errors.Count == 1, $"expected one error line; stderr:\n{result.StdErr}");
        Assert.Contains(message, errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal)
            || l.Contains(" crit: ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        Assert.Equal("", result.StdOut);
    }

    private static bool IsLogLine(string line) =>
        line.Length > 24 && DateTime.TryParse(line[..24], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _);
}
