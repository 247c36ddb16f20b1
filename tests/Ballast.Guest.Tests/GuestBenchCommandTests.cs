using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// <c>ballast guest-bench --device both --repeat 1 --json</c> as a process: exactly one JSON object of the documented
/// shape on standard output, one run per device, and both devices gave the host memory back.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class GuestBenchCommandTests(GuestFixture fixture)
{
    private const long InflateBytes = 1536L << 20;

    [Fact]
    public async Task GuestBench_BothDevices_PrintsTheJson_AndBothReleaseHostMemory()
    {
        using var json = await GuestBenchProcess.RunJsonAsync(fixture, ["--device", "both", "--repeat", "1", "--json"], TimeSpan.FromMinutes(5));
        var root = json.RootElement;
        Assert.Equal(["guest_mem_bytes", "inflate_bytes", "dirty_bytes", "runs", "release_granularity"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2L << 30, root.GetProperty("guest_mem_bytes").GetInt64());
        Assert.Equal(InflateBytes, root.GetProperty("inflate_bytes").GetInt64());
        Assert.Equal(1600L << 20, root.GetProperty("dirty_bytes").GetInt64());

        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["qemu", "ballast"], runs.Select(run => run.GetProperty("device").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal(["device", "driver", "inflate_ms", "deflate_ms", "host_bytes_before", "host_bytes_after", "release_ms", "backing", "ram_block_bytes",
                "host_pages_before", "host_pages_after", "module_inflate", "module_deflate"], run.EnumerateObject().Select(p => p.Name));
            Assert.Equal("4k", run.GetProperty("backing").GetString());
            Assert.Equal("stock", run.GetProperty("driver").GetString());
            // Both release before acknowledging (QEMU always, Ballast without --defer-release).
            Assert.Equal(run.GetProperty("inflate_ms").GetDouble(), run.GetProperty("release_ms").GetDouble());
            Assert.True(run.GetProperty("inflate_ms").GetDouble() > 0, run.ToString());
            Assert.True(run.GetProperty("deflate_ms").GetDouble() > 0, run.ToString());
            var released = run.GetProperty("host_bytes_before").GetInt64() - run.GetProperty("host_bytes_after").GetInt64();
            Assert.True(released >= InflateBytes * 0.95, $"{run.GetProperty("device")} released only {released >> 20} MiB of host memory: {run}");
        }
    }
}
