namespace Ballast.Packaging.Tests.Support;

/// <summary>
/// Built once for all the .deb tests (an xunit collection fixture): the native daemon (packaging/build-native.sh),
/// the .deb made from it (packaging/deb/build-deb.sh) and the pristine Debian 12 root the tests install into
/// (packaging/deb/test-chroot.sh, cached under /var/cache/ballast-guest/deb-chroot). A cold machine installs
/// clang/lld and debootstrap with apt and fetches the Debian base system: minutes.
/// </summary>
public sealed class DebPackage : IDisposable
{
    private readonly string _outDir = Directory.CreateTempSubdirectory("ballast-deb-").FullName;

    public DebPackage()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            return;
        Native = Script(TimeSpan.FromMinutes(20), "packaging/build-native.sh");
        if (Native.Succeeded)
            Build = Script(TimeSpan.FromMinutes(20), "packaging/deb/build-deb.sh", Native.LastLine(), _outDir);
        Chroot = Script(TimeSpan.FromMinutes(20), "packaging/deb/test-chroot.sh");
    }

    /// <summary>packaging/build-native.sh's run: it prints the daemon's path last.</summary>
    internal ProcessResult? Native { get; }

    /// <summary>packaging/deb/build-deb.sh's run: it prints the .deb's path last.</summary>
    internal ProcessResult? Build { get; }

    /// <summary>packaging/deb/test-chroot.sh's run: it prints the pristine root's path last.</summary>
    internal ProcessResult? Chroot { get; }

    /// <summary>The .deb's path; fails the test with the scripts' output when it could not be built.</summary>
    internal string DebPath
    {
        get
        {
            Assert.True(Native is { Succeeded: true }, $"packaging/build-native.sh failed: {Native?.Describe()}");
            Assert.True(Build is { Succeeded: true }, $"packaging/deb/build-deb.sh failed: {Build?.Describe()}");
            return Build!.LastLine();
        }
    }

    /// <summary>The pristine root's path; fails the test with the script's output when it could not be made.</summary>
    internal string PristineRoot
    {
        get
        {
            Assert.True(Chroot is { Succeeded: true }, $"packaging/deb/test-chroot.sh failed: {Chroot?.Describe()}");
            return Chroot!.LastLine();
        }
    }

    /// <summary>A fresh root (an overlay on the pristine one) with the .deb installed by dpkg -i.</summary>
    internal FreshRoot InstallFresh()
    {
        var deb = DebPath;
        var root = new FreshRoot(PristineRoot);
        try
        {
            root.Install(deb);
            return root;
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    /// <summary>How long each step took, for the test output.</summary>
    internal string Timings() =>
        $"build-native.sh {Seconds(Native)}, build-deb.sh {Seconds(Build)}, test-chroot.sh {Seconds(Chroot)}";

    public void Dispose() => Directory.Delete(_outDir, recursive: true);

    private static string Seconds(ProcessResult? run) => run is null ? "not run" : $"{run.Elapsed.TotalSeconds:F1} s";

    private static ProcessResult Script(TimeSpan limit, string script, params string[] arguments) =>
        BoundedProcess.Run("bash", [Repository.Path(script.Split('/')), .. arguments], limit, Repository.Root);
}
