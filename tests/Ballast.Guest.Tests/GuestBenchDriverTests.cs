using System.Text.Json;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// <c>ballast guest-bench --device ballast --driver all --repeat 1 --json</c> as a process, with and without
/// <c>--defer-release</c>: one JSON object of the documented shape, one run per driver (stock, sg, sg-highorder, in
/// that order), each giving the host memory back. Released synchronously, the host has the memory when the guest's
/// actual says so (release_ms = inflate_ms); deferred, no earlier.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class GuestBenchDriverTests(GuestFixture fixture)
{
    private const long InflateBytes = 1536L << 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GuestBench_AllDrivers_PrintsTheJson_WithThreeDrivers_AllReleaseHostMemory(bool deferRelease)
    {
        string[] args = ["--device", "ballast", "--driver", "all", "--repeat", "1", "--json"];
        using var json = await GuestBenchProcess.RunJsonAsync(fixture, deferRelease ? [.. args, "--defer-release"] : args, TimeSpan.FromMinutes(6));
        var root = json.RootElement;
        Assert.Equal(["guest_mem_bytes", "inflate_bytes", "dirty_bytes", "runs", "release_granularity"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(InflateBytes, root.GetProperty("inflate_bytes").GetInt64());

        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["stock", "sg", "sg-highorder"], runs.Select(run => run.GetProperty("driver").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal(["device", "driver", "inflate_ms", "deflate_ms", "host_bytes_before", "host_bytes_after", "release_ms", "backing", "ram_block_bytes",
                "host_pages_before", "host_pages_after", "module_inflate", "module_deflate"], run.EnumerateObject().Select(p => p.Name));
            Assert.Equal("4k", run.GetProperty("backing").GetString());
            // Ballast's module runs with dyndbg=+p: its inflate batches (6 of 256 MiB, or 1 with 2 MiB blocks kept whole) are summed in the JSON.
            if (run.GetProperty("driver").GetString() == "stock")
                Assert.Equal(JsonValueKind.Null, run.GetProperty("module_inflate").ValueKind);
            else
                Assert.True(run.GetProperty("module_inflate").GetProperty("batches").GetInt32() >= 1, run.ToString());
            Assert.Equal("ballast", run.GetProperty("device").GetString());
            var inflateMs = run.GetProperty("inflate_ms").GetDouble();
            var releaseMs = run.GetProperty("release_ms").GetDouble();
            Assert.True(inflateMs > 0, run.ToString());
            if (deferRelease)
                Assert.True(releaseMs >= inflateMs, run.ToString());
            else
                Assert.Equal(inflateMs, releaseMs);
            Assert.True(run.GetProperty("deflate_ms").GetDouble() > 0, run.ToString());
            var released = run.GetProperty("host_bytes_before").GetInt64() - run.GetProperty("host_bytes_after").GetInt64();
            Assert.True(released >= InflateBytes * 0.95, $"{run.GetProperty("driver")} released only {released >> 20} MiB of host memory: {run}");
        }
    }
}
