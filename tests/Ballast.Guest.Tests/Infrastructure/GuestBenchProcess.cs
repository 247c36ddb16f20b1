using System.Globalization;
using System.Text.Json;
using Ballast.GuestLab;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary><c>ballast guest-bench … --json</c> as a child process, the way a user runs it.</summary>
internal static class GuestBenchProcess
{
    /// <summary>
    /// Runs <c>ballast guest-bench</c> with <paramref name="arguments"/> (tracked by <paramref name="fixture"/>, so a
    /// test that gives up leaves nothing running), checks that it exited 0 within <paramref name="timeout"/> and printed
    /// exactly one line on standard output, and returns that line parsed as JSON.
    /// </summary>
    public static async Task<JsonDocument> RunJsonAsync(GuestFixture fixture, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        await using var bench = ChildProcess.Start("dotnet", [DaemonProcess.DefaultBallastDll, "guest-bench", .. arguments], "ballast guest-bench");
        fixture.Track(bench);
        var exited = await bench.WaitForExitAsync(timeout);
        Assert.True(exited && bench.ExitCode == 0, string.Create(CultureInfo.InvariantCulture,
            $"guest-bench {(exited ? $"exited with {bench.ExitCode}" : $"did not finish in {timeout.TotalMinutes:0} minutes")}:\n{bench.Tail(80)}"));

        var stdout = bench.StandardOutputLines();
        Assert.True(stdout.Count == 1, $"expected one line of JSON on standard output, got {stdout.Count}:\n{string.Join('\n', stdout)}");
        return JsonDocument.Parse(stdout[0]);
    }
}
