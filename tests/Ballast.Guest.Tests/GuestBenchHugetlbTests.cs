using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// <c>ballast guest-bench --backing hugetlb --device both --driver all --repeat 1 --json</c> as a process (≈ 30 s: guests
/// on hugetlb boot and dirty fast): QEMU's balloon with the stock driver, then Ballast's with each driver, every guest
/// on a 2 MiB hugetlb memfd. Every run says so (backing, a 2 MiB RAM block, QEMU's dirtied memory on hugetlb pages);
/// each of Ballast's gives at least 95% of the balloon back as whole huge pages, which the pool's free pages show;
/// QEMU's run is reported whatever it frees (it frees none here: its balloon forgets a partly ballooned huge page at
/// the end of each buffer). The SG module's runs carry its debug batch breakdown.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class GuestBenchHugetlbTests(GuestFixture fixture)
{
    private const long InflateBytes = 1536L << 20;
    private const long HugePage = 2L << 20;

    [Fact]
    public async Task GuestBench_Hugetlb_BothDevicesAllDrivers_ReportsTheBacking_BallastFreesWholeHugePages()
    {
        using var json = await GuestBenchProcess.RunJsonAsync(fixture, ["--backing", "hugetlb", "--device", "both", "--driver", "all", "--repeat", "1", "--json"], TimeSpan.FromMinutes(5));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["qemu stock", "ballast stock", "ballast sg", "ballast sg-highorder"],
            runs.Select(run => $"{run.GetProperty("device").GetString()} {run.GetProperty("driver").GetString()}"));
        foreach (var run in runs)
        {
            Assert.Equal("hugetlb", run.GetProperty("backing").GetString());
            Assert.Equal(HugePage, run.GetProperty("ram_block_bytes").GetInt64());
            var hostBefore = run.GetProperty("host_bytes_before").GetInt64();
            var hostAfter = run.GetProperty("host_bytes_after").GetInt64();
            var before = run.GetProperty("host_pages_before");
            var after = run.GetProperty("host_pages_after");
            Assert.True(before.GetProperty("qemu_hugetlb_bytes").GetInt64() >= 1600L << 20, run.ToString());
            Assert.Equal(0, hostBefore % HugePage);
            Assert.Equal(0, hostAfter % HugePage);
            if (run.GetProperty("device").GetString() == "qemu")
                continue;
            var released = hostBefore - hostAfter;
            Assert.True(released >= InflateBytes * 0.95, $"{run.GetProperty("driver")} released only {released >> 20} MiB of host memory: {run}");
            var freedPages = after.GetProperty("hugetlb_free_pages").GetInt64() - before.GetProperty("hugetlb_free_pages").GetInt64();
            Assert.True(Math.Abs(freedPages * HugePage - released) <= 4 * HugePage, $"HugePages_Free rose by {freedPages} pages for {released >> 20} MiB released: {run}");
            // The module's batches: order-0 pages six of 256 MiB; 2 MiB blocks kept whole, one (batch_pages counts allocations).
            var driver = run.GetProperty("driver").GetString();
            if (driver != "stock")
                Assert.Equal(driver == "sg-highorder" ? 1 : 6, run.GetProperty("module_inflate").GetProperty("batches").GetInt32());
        }
    }
}
