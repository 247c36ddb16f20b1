using System.Text.Json;
using Ballast.Cli.Guest;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// <c>ballast guest-bench --device ballast --driver all --repeat 1 --json</c> as a process: one JSON object of the
/// documented shape, one run per driver (stock, sg, sg-highorder, in that order), each giving the host memory back.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class GuestBenchDriverTests(GuestFixture fixture)
{
    private const long InflateBytes = 1536L << 20;

    [Fact]
    public async Task GuestBench_AllDrivers_PrintsTheJson_WithThreeDrivers_AllReleaseHostMemory()
    {
        await using var bench = ChildProcess.Start("dotnet",
            [DaemonProcess.DefaultBallastDll, "guest-bench", "--device", "ballast", "--driver", "all", "--repeat", "1", "--json"], "ballast guest-bench");
        fixture.Track(bench);
        var exited = await bench.WaitForExitAsync(TimeSpan.FromMinutes(6));
        Assert.True(exited && bench.ExitCode == 0, $"guest-bench {(exited ? $"exited with {bench.ExitCode}" : "did not finish in 6 minutes")}:\n{bench.Tail(80)}");

        var stdout = bench.StandardOutputLines();
        Assert.True(stdout.Count == 1, $"expected one line of JSON on standard output, got {stdout.Count}:\n{string.Join('\n', stdout)}");
        using var json = JsonDocument.Parse(stdout[0]);
        var root = json.RootElement;
        Assert.Equal(["guest_mem_bytes", "inflate_bytes", "dirty_bytes", "runs"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(InflateBytes, root.GetProperty("inflate_bytes").GetInt64());

        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["stock", "sg", "sg-highorder"], runs.Select(run => run.GetProperty("driver").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal(["device", "driver", "inflate_ms", "deflate_ms", "host_bytes_before", "host_bytes_after"], run.EnumerateObject().Select(p => p.Name));
            Assert.Equal("ballast", run.GetProperty("device").GetString());
            Assert.True(run.GetProperty("inflate_ms").GetDouble() > 0, run.ToString());
            Assert.True(run.GetProperty("deflate_ms").GetDouble() > 0, run.ToString());
            var released = run.GetProperty("host_bytes_before").GetInt64() - run.GetProperty("host_bytes_after").GetInt64();
            Assert.True(released >= InflateBytes * 0.95, $"{run.GetProperty("driver")} released only {released >> 20} MiB of host memory: {run}");
        }
    }
}
