using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests.Serve;

/// <summary><c>ballast serve</c> refuses a bad command line with exit code 2 before creating anything.</summary>
public class ServeCommandValidationTests
{
    [Theory]
    [InlineData("2")]
    [InlineData("24")]
    [InlineData("-1")]
    public async Task SgBitOutsideDeviceBits_IsUsageError(string bit)
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), "--features", "sg", "--sg-bit", bit);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"--sg-bit: {bit} is not allowed", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("from 3 to 23", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Theory]
    [InlineData(new[] { "--features", "stats,deflate-on-oom" }, "--defer-release: needs must-tell-host in --features")]
    [InlineData(new[] { "--features", "must-tell-host", "--release", "per-page" }, "--defer-release: works with --release coalesce only")]
    public async Task DeferRelease_WithoutMustTellHostOrCoalescing_IsUsageError(string[] more, string message)
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync(["serve", "--socket", directory.File("b.sock"), "--defer-release", .. more]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public async Task UnknownFeature_IsUsageError()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), "--features", "stats,hugepages");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--features: unknown feature 'hugepages'", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Theory]
    [InlineData("--stats-interval", "-1", "--stats-interval: -1 is not allowed")]
    [InlineData("--stats-interval", "86401", "--stats-interval: 86401 is not allowed")]
    [InlineData("--log-level", "verbose", "verbose")]
    [InlineData("--release", "lazy", "lazy")]
    public async Task BadOptionValue_IsUsageError(string option, string value, string message)
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), option, value);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--socket-user", "no-such-user-ballast", "--socket-user: no user 'no-such-user-ballast'")]
    [InlineData("--socket-group", "no-such-group-ballast", "--socket-group: no group 'no-such-group-ballast'")]
    [InlineData("--socket-user", "4294967295", "--socket-user: '4294967295' is not a valid id")]
    public async Task UnknownSocketUserOrGroup_IsUsageError(string option, string value, string message)
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), option, value);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public async Task SocketUserGivenTwice_IsUsageError()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), "--socket-user", "root", "--socket-user", "nobody");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--socket-user", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsIntervalWithoutStatsFeature_IsUsageError()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File("b.sock"), "--features", "deflate-on-oom", "--stats-interval", "5");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("needs the stats feature", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingSocket_IsUsageError()
    {
        var result = await BallastCli.RunAsync("serve");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--socket", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiSameAsSocket_IsUsageError()
    {
        using var directory = new TempDirectory();
        var path = directory.File("b.sock");

        var result = await BallastCli.RunAsync("serve", "--socket", path, "--api", path);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("must not be the vhost-user socket", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketInMissingDirectory_IsUsageError()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", Path.Combine(directory.Path, "nope", "b.sock"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("does not exist", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketPathTooLong_IsUsageError()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket", directory.File(new string('s', 100) + ".sock"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("too long for a Unix socket", result.StdErr, StringComparison.Ordinal);
    }
}
