using System.Diagnostics;

namespace Ballast.Cli.Tests;

/// <summary>The built <c>ballast</c> program, run as a real process.</summary>
public class BallastProcessTests
{
    [Fact]
    public async Task BadSize_ExitsNonZeroWithMessageOnStderr()
    {
        var result = await RunBallast("bench", "--guest-mem", "1X");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--guest-mem: '1X' is not a size", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.StdOut);
    }

    [Fact]
    public async Task Help_ListsBench()
    {
        var result = await RunBallast("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("bench", result.StdOut, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string StdOut, string StdErr)> RunBallast(params string[] args)
    {
        // The test project references Ballast.Cli, so ballast.dll and its runtimeconfig sit beside the tests.
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        Assert.True(File.Exists(dll), $"{dll} not found");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
