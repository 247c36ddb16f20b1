namespace Ballast.Packaging.Tests.Support;

/// <summary>
/// A fact that builds and installs the .deb (apt, debootstrap, chroot, mount): skipped unless this is Linux and the
/// tests run as root. CI runs as root, so there it always runs.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "the .deb tests run on Linux only";
        else if (Environment.UserName != "root")
            Skip = "debootstrap, chroot and mount need root";
    }
}
