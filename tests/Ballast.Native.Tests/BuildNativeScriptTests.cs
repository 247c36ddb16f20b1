using Ballast.Native.Tests.Infrastructure;

namespace Ballast.Native.Tests;

/// <summary>packaging/build-native.sh: the path it prints, and a second run that finds its inputs unchanged.</summary>
[Collection(NativeCollection.Name)]
public class BuildNativeScriptTests(NativeBinaryFixture native)
{
    [Fact]
    public void FirstRun_PrintsArtifactsNativeBallastd()
    {
        Assert.Equal(Path.Combine(native.RepositoryRoot, "artifacts", "native", "ballastd"), native.BinaryPath);
        Assert.True(File.Exists(native.BinaryPath), native.BuildLog);
    }

    [Fact]
    public void SecondRun_InputsUnchanged_SkipsThePublishAndPrintsTheSamePath()
    {
        var before = File.GetLastWriteTimeUtc(native.BinaryPath);

        var (exitCode, stdout, stderr) = native.RunScript();

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(native.BinaryPath, stdout.Trim());
        Assert.Contains("inputs unchanged", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("installing", stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.GetLastWriteTimeUtc(native.BinaryPath));
    }

    [Fact]
    public void DryRun_InstallsAndPublishesNothing()
    {
        var (exitCode, stdout, stderr) = native.RunScript("--dry-run");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(native.BinaryPath, stdout.Trim());
        Assert.Contains("packages present: clang lld zlib1g-dev", stderr, StringComparison.Ordinal);
        Assert.Contains("no publish", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownArgument_OneLineOnStderr_Exits1()
    {
        var (exitCode, stdout, stderr) = native.RunScript("--bogus");

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
