using Ballast.Simulation.Experiment;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests;

/// <summary>What the command does when the engine fails or the user presses Ctrl+C.</summary>
public class BenchCommandFailureTests
{
    [Fact]
    public async Task EngineFailure_ExitsOneWithTheErrorOnStderr()
    {
        using var engine = new FakeBenchEngine
        {
            OnRun = (_, _, _) => throw new InvalidOperationException("queue 0 broken: avail index jumped"),
        };
        var result = await CliHarness.RunAsync(engine, "bench", "--json");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        Assert.Contains("queue 0 broken: avail index jumped", result.StdErr, StringComparison.Ordinal);
        Assert.True(engine.Disposed);
    }

    [Fact]
    public async Task FactoryFailure_ExitsOne()
    {
        var result = await CliHarness.RunAsync(
            () => throw new NotImplementedException("engine lands with the simulated guest"), CliHarness.PlentyOfMemory, CancellationToken.None, "bench");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("engine lands with the simulated guest", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_ReachesTheEngineAndExits130()
    {
        using var cts = new CancellationTokenSource();
        using var engine = new FakeBenchEngine
        {
            OnRun = (_, _, ct) =>
            {
                cts.Cancel(); // as Ctrl+C would, mid-run
                ct.ThrowIfCancellationRequested();
                throw new InvalidOperationException("the engine's token was not cancelled");
            },
        };
        var result = await CliHarness.RunAsync(engine.Factory, CliHarness.PlentyOfMemory, cts.Token, "bench", "--json");

        Assert.Equal(ExitCodes.Cancelled, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        Assert.Contains("cancelled", result.StdErr, StringComparison.Ordinal);
        Assert.True(engine.Disposed);
    }

    [Fact]
    public async Task OneRunPerMode_FromTheEngine_IsAcceptedAsIs()
    {
        using var engine = new FakeBenchEngine
        {
            OnRun = (options, _, _) => BenchReport.For(options, 1, [SampleRuns.For(BenchMode.Sg, options.InflateBytes, options.GuestMemBytes)]),
        };
        var result = await CliHarness.RunAsync(engine, "bench", "--mode", "sg", "--repeat", "4");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("median of 4 runs", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostNotSetUpForTheBacking_ExitsOneWithOneLineAndNoStackTrace()
    {
        using var engine = new FakeBenchEngine
        {
            OnRun = (_, _, _) => throw new BenchHostException(
                "guest RAM on hugetlb needs 4097 free 2 MiB huge pages and the host has 0 (HugePages_Free in /proc/meminfo): as root, 'sysctl vm.nr_hugepages=4097'"),
        };
        var result = await CliHarness.RunAsync(engine, "bench", "--backing", "hugetlb", "--json");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        Assert.Equal(
            "ballast bench: guest RAM on hugetlb needs 4097 free 2 MiB huge pages and the host has 0 (HugePages_Free in /proc/meminfo): as root, 'sysctl vm.nr_hugepages=4097'",
            result.StdErr.TrimEnd());
        Assert.True(engine.Disposed);
    }

    [Fact]
    public async Task RealEngine_HugetlbGuestNoHostCanHold_SaysWhichSysctlInOneLine()
    {
        // MemAvailable unknown to the command, so only the engine's own check stands between the request and the host:
        // as root it refuses to grow vm.nr_hugepages beyond the memory there is, otherwise the pool is too small.
        var pool = UnixMode.IsRoot ? HugePageHostState.Read() : default;
        var result = await CliHarness.RunAsync(() => new BenchEngine(), availableHostBytes: null, CancellationToken.None,
            "bench", "--backing", "4k,hugetlb", "--guest-mem", "1T", "--json");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ballast bench: ", line, StringComparison.Ordinal);
        Assert.Contains("vm.nr_hugepages", line, StringComparison.Ordinal);
        if (UnixMode.IsRoot)
            Assert.Equal(pool, HugePageHostState.Read());
    }
}
