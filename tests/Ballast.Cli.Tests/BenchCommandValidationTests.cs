using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests;

/// <summary>Bad requests fail fast: non-zero exit, a message on stderr, nothing on stdout, and no engine.</summary>
public class BenchCommandValidationTests
{
    [Theory]
    [InlineData("--guest-mem", "1X", "'1X' is not a size")]
    [InlineData("--guest-mem", "0", "greater than zero")]
    [InlineData("--guest-mem", "-8G", "without a sign")]
    [InlineData("--guest-mem", "1.5G", "whole number")]
    [InlineData("--guest-mem", "99999999999T", "too large")]
    [InlineData("--inflate", "lots", "--inflate: 'lots' is not a size")]
    [InlineData("--inflate", "0M", "greater than zero")]
    public async Task BadSize_FailsWithMessage(string option, string value, string expected)
    {
        var result = await RunRejected("bench", option, value);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "bench", "--inflate", "9G" }, "larger than --guest-mem 8 GiB")]
    [InlineData(new[] { "bench", "--guest-mem", "4G", "--inflate", "5G" }, "--inflate 5 GiB is larger than --guest-mem 4 GiB")]
    [InlineData(new[] { "bench", "--repeat", "0" }, "--repeat must be at least 1")]
    [InlineData(new[] { "bench", "--repeat", "-2" }, "--repeat must be at least 1")]
    [InlineData(new[] { "bench", "--guest-mem", "4098M", "--inflate", "1G" }, "multiple of 4 MiB")]
    [InlineData(new[] { "bench", "--inflate", "1000" }, "multiple of the 4096-byte page size")]
    [InlineData(new[] { "bench", "--mode", "fast" }, "fast")]
    [InlineData(new[] { "bench", "--mode", "reporting" }, "reporting")]
    [InlineData(new[] { "bench", "--reporting", "--inflate", "1M" }, "--inflate must be at least 2 MiB (got 1 MiB)")]
    [InlineData(new[] { "bench", "--reporting", "yes" }, "yes")]
    [InlineData(new[] { "bench", "--profile", "busy" }, "busy")]
    [InlineData(new[] { "bench", "--backing", "2m" }, "--backing: '2m' is not a backing; use one of 4k, thp, hugetlb")]
    [InlineData(new[] { "bench", "--backing", "4k,,hugetlb" }, "--backing: '' is not a backing")]
    [InlineData(new[] { "bench", "--release-granularity", "2m" }, "2m")]
    [InlineData(new[] { "bench", "--repeat", "many" }, "many")]
    [InlineData(new[] { "bench", "--guest-mem" }, "--guest-mem")]
    [InlineData(new[] { "bench", "--mdoe", "sg" }, "--mode")]
    [InlineData(new[] { "bench", "extra" }, "extra")]
    [InlineData(new string[0], "Required command")]
    public async Task BadRequest_FailsWithMessage(string[] args, string expected)
    {
        var result = await RunRejected(args);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuestMemoryBeyondTheHost_IsRejected()
    {
        var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine.Factory, availableHostBytes: 6L << 30, CancellationToken.None, "bench", "--guest-mem", "8G");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("does not fit on this machine", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("only 6 GiB is available", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, engine.FactoryCalls);
    }

    [Fact]
    public async Task GuestMemoryWithinTheHost_Runs()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine.Factory, availableHostBytes: 3L << 30, CancellationToken.None,
            "bench", "--guest-mem", "2G", "--inflate", "1G");
        Assert.Equal(0, result.ExitCode);
        Assert.Single(engine.Calls);
    }

    [Fact]
    public async Task SeveralProblems_AreAllReported()
    {
        var result = await RunRejected("bench", "--inflate", "9G", "--repeat", "0");
        Assert.Contains("larger than --guest-mem", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("--repeat must be at least 1", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_GoesToStdoutAndDocumentsTheMedianChoice()
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(engine.Calls);
        foreach (var option in new[] { "--guest-mem", "--inflate", "--mode", "--profile", "--clean", "--zero-on-alloc", "--repeat", "--json", "--plot" })
            Assert.Contains(option, result.StdOut, StringComparison.Ordinal);
        Assert.Contains("median", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("JSON both carry these median runs", result.StdOut, StringComparison.Ordinal);
    }

    private static async Task<CliResult> RunRejected(params string[] args)
    {
        var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.NotEqual(string.Empty, result.StdErr.Trim());
        Assert.Equal(string.Empty, result.StdOut);
        Assert.Equal(0, engine.FactoryCalls);
        Assert.Empty(engine.Calls);
        return result;
    }
}
