using System.Text.Json;
using System.Text.RegularExpressions;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// <c>--log-format simple|json|systemd</c> and <c>--log-level</c> as people write it: the supervisor and its worker (two
/// processes) log in the same format, from start to a SIGTERM stop.
/// </summary>
public partial class ServeProcessTests
{
    [Theory]
    [InlineData("json")]
    [InlineData("systemd")]
    [InlineData("simple")]
    public async Task Serve_LogFormat_SupervisorAndWorkerWriteIt(string format)
    {
        var lines = await ServeThenStop("--log-format", format, "--log-level", "info");

        // Both processes: the supervisor's category and the worker's.
        Assert.Contains(lines, l => l.Contains("Ballast.Daemon.Supervision.ServeSupervisor", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Ballast.Daemon.ManagementApi", StringComparison.Ordinal));
        foreach (var line in lines)
        {
            switch (format)
            {
                case "json":
                    using (var json = JsonDocument.Parse(line))
                    {
                        Assert.True(json.RootElement.TryGetProperty("LogLevel", out _), line);
                        Assert.True(json.RootElement.TryGetProperty("Category", out _), line);
                        Assert.True(json.RootElement.TryGetProperty("Message", out _), line);
                    }
                    break;
                case "systemd":
                    Assert.Matches(SyslogPrefix(), line);
                    break;
                default:
                    Assert.Matches(SimpleLine(), line);
                    break;
            }
        }
    }

    [Fact]
    public async Task Serve_LogLevelWarn_WritesNoInformation()
    {
        var lines = await ServeThenStop("--log-level", "warn", "--log-format", "systemd");

        // Informational events are <6>; a clean start and stop has nothing at warning or above.
        Assert.Empty(lines);
    }

    [Fact]
    public async Task Serve_LogLevelOff_WritesNothing()
    {
        var lines = await ServeThenStop("--log-level", "off");

        Assert.Empty(lines);
    }

    /// <summary>Starts a supervised daemon with <paramref name="args"/>, waits until it serves, stops it; its stderr lines.</summary>
    private static async Task<List<string>> ServeThenStop(params string[] args)
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        using var process = StartBallast(stdout, stderr, ["serve", "--socket-path", socket, .. args]);
        try
        {
            Assert.True(await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-chardev", StringComparison.Ordinal) || process.HasExited, s_timeout),
                $"serve did not start: {stderr}");
            // The worker says it serves (to its supervisor) right after the arguments are out; let the logs catch up.
            Assert.True(await UnixHttp.WaitUntilAsync(() => Directory.Exists($"/proc/{process.Id}") && File.Exists(socket + ".takeover"), s_timeout),
                $"the supervisor did not see its worker serve: {stderr}");
            Assert.Equal(0, kill(process.Id, SIGTERM));
            using var timeout = new CancellationTokenSource(s_timeout);
            await process.WaitForExitAsync(timeout.Token);
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {stderr}");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        return [.. stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    [GeneratedRegex(@"^<[0-7]>\S+\[\d+\] ")]
    private static partial Regex SyslogPrefix();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): \S+\[\d+\] ")]
    private static partial Regex SimpleLine();
}
