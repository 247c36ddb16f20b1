using System.Diagnostics;
using Ballast.Daemon;
using Ballast.TestKit;

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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bench_RealEngine_JsonParsesAndShowsReleasedMemory(bool clean)
    {
        // The real in-process engine on a small guest: a simulated 256 MiB guest, 192 MiB inflated in each mode.
        string[] args = ["bench", "--guest-mem", "256M", "--inflate", "192M", "--json"];
        var result = await RunBallast(clean ? [.. args, "--clean"] : args);

        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = System.Text.Json.JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        Assert.Equal(256L << 20, root.GetProperty("guest_mem_bytes").GetInt64());
        Assert.Equal(clean, root.GetProperty("clean").GetBoolean());
        Assert.True(root.GetProperty("floor_ms").GetDouble() > 0);
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["pfn-per-page", "pfn", "sg"], runs.Select(r => r.GetProperty("mode").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal("ok", run.GetProperty("integrity").GetString());
            Assert.Equal(192L << 20 >> 12, run.GetProperty("pages").GetInt64());
            var before = run.GetProperty("host_bytes_before").GetInt64();
            var after = run.GetProperty("host_bytes_after").GetInt64();
            if (clean)
                Assert.Equal(before, after);                  // nothing was backed, nothing to free
            else
                Assert.True(before - after >= (192L << 20) * 95 / 100, $"{run.GetProperty("mode")}: freed {before - after} bytes");
        }
        // The seed's protocol: far fewer buffers and release calls than Linux's 256-PFN arrays.
        Assert.Equal(192 * 256 / 256, runs[0].GetProperty("buffers").GetInt64());
        Assert.True(runs[2].GetProperty("buffers").GetInt64() < 4);
        Assert.Equal(192L << 20 >> 12, runs[0].GetProperty("release_calls").GetInt64());
    }

    [Fact]
    public async Task Bench_OverVhostUser_IntegrityOkAndMemoryReleased()
    {
        var result = await RunBallast("bench", "--transport", "vhost-user", "--guest-mem", "512M", "--inflate", "448M", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = System.Text.Json.JsonDocument.Parse(result.StdOut);
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(3, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal("ok", run.GetProperty("integrity").GetString());
            Assert.Equal(448L << 20 >> 12, run.GetProperty("pages").GetInt64());
            var freed = run.GetProperty("host_bytes_before").GetInt64() - run.GetProperty("host_bytes_after").GetInt64();
            Assert.True(freed >= (448L << 20) * 95 / 100, $"{run.GetProperty("mode")}: freed {freed} bytes");
        }
    }

    [HugePageFact]
    public async Task Bench_OnHugePages_ReservesWhatItNeedsReportsTheEvidenceAndPutsTheHostBack()
    {
        var host = HugePageHostState.Read();

        var result = await RunBallast("bench", "--backing", "hugetlb,thp", "--guest-mem", "256M", "--inflate", "192M", "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(host, HugePageHostState.Read());
        using var json = System.Text.Json.JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        Assert.Empty(root.GetProperty("warnings").EnumerateArray());
        Assert.Equal(["hugetlb", "thp"], root.GetProperty("backings").EnumerateArray().Select(b => b.GetProperty("backing").GetString()));
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(6, runs.Count);
        foreach (var run in runs)
        {
            var what = $"{run.GetProperty("backing")} {run.GetProperty("mode")}";
            Assert.Equal("ok", run.GetProperty("integrity").GetString());
            Assert.Equal(2L << 20, run.GetProperty("host_page_size").GetInt64());
            Assert.True(run.GetProperty("huge_page_bytes_before").GetInt64() >= (256L << 20) * 9 / 10, what);
            if (run.GetProperty("mode").GetString() == "pfn-per-page")
                continue;
            var freed = run.GetProperty("host_bytes_before").GetInt64() - run.GetProperty("host_bytes_after").GetInt64();
            Assert.True(freed >= (192L << 20) * 95 / 100, $"{what}: freed {freed} bytes");
            var hugeFreed = run.GetProperty("huge_page_bytes_before").GetInt64() - run.GetProperty("huge_page_bytes_after").GetInt64();
            Assert.True(hugeFreed >= (192L << 20) * 95 / 100, $"{what}: {hugeFreed} bytes of huge pages freed");
        }
    }

    [Fact]
    public async Task Bench_InflateLargerThanGuest_RefusedBeforeAnythingRuns()
    {
        var result = await RunBallast("bench", "--guest-mem", "256M", "--inflate", "512M", "--json");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        Assert.Contains("--inflate", result.StdErr, StringComparison.Ordinal);
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
