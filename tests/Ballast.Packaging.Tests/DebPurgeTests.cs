using Ballast.Packaging.Tests.Support;

namespace Ballast.Packaging.Tests;

/// <summary>`dpkg --purge ballastd` leaves the system as it was: no file or directory more than before the install.</summary>
[Collection(DebCollection.Name)]
public sealed class DebPurgeTests(DebPackage deb)
{
    [RootFact]
    public void Deb_Purge_LeavesNothingBehind()
    {
        var debPath = deb.DebPath;
        using var root = new FreshRoot(deb.PristineRoot);
        var before = root.Paths();
        root.Install(debPath);
        Assert.NotEqual(before, root.Paths());

        var purge = root.Run("dpkg", "--purge", "ballastd");

        Assert.True(purge.Succeeded, purge.Describe());
        var after = root.Paths();
        Assert.Empty(after.Except(before));
        Assert.Empty(before.Except(after));
        var status = root.Run("dpkg-query", "-W", "ballastd");
        Assert.NotEqual(0, status.ExitCode);
    }
}
