using Ballast.Packaging.Tests.Support;
using Xunit.Abstractions;

namespace Ballast.Packaging.Tests;

/// <summary>The installed daemon runs in a minimal Debian 12 and prints the version the repository declares.</summary>
[Collection(DebCollection.Name)]
public sealed class DebVersionTests(DebPackage deb, ITestOutputHelper output)
{
    [RootFact]
    public void Deb_InstalledBallastd_PrintsRepositoryVersion()
    {
        output.WriteLine(deb.Timings());
        using var root = deb.InstallFresh();

        var version = root.Run("ballastd", "--version");

        Assert.True(version.Succeeded, version.Describe());
        Assert.Equal(Repository.Version, version.Output.Trim());
        var status = root.Run("dpkg-query", "-W", "-f=${Version} ${Status}", "ballastd");
        Assert.Equal($"{Repository.Version} install ok installed", status.Output.Trim());
    }
}
