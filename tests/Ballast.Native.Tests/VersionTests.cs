using Ballast.Native.Tests.Infrastructure;

namespace Ballast.Native.Tests;

/// <summary><c>ballastd --version</c> and <c>--help</c> from the NativeAOT binary.</summary>
[Collection(NativeCollection.Name)]
public class VersionTests(NativeBinaryFixture native)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Version_PrintsTheVersionAndExits0()
    {
        var (exitCode, stdout, stderr) = await Ballastd.RunAsync(native.BinaryPath, s_timeout, "--version");

        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}");
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout.Trim());
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Help_ListsServeAndBalloonOnly()
    {
        var (exitCode, stdout, _) = await Ballastd.RunAsync(native.BinaryPath, s_timeout, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("serve", stdout, StringComparison.Ordinal);
        Assert.Contains("balloon", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("bench", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownOption_OneErrorAndUsageHintOnStderr_Exits2()
    {
        var (exitCode, stdout, stderr) = await Ballastd.RunAsync(native.BinaryPath, s_timeout, "balloon", "get", "--bogus");

        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout);
        Assert.Contains("Run 'ballastd balloon get --help' for usage.", stderr, StringComparison.Ordinal);
    }
}
