namespace Ballast.Fuzz.Tests.Support;

/// <summary>
/// A fact that runs afl-fuzz through fuzz/run.sh: skipped unless this is Linux and either afl-fuzz is installed or
/// we are root (run.sh installs afl++ with apt-get; CI runs as root).
/// </summary>
public sealed class AflFactAttribute : FactAttribute
{
    public AflFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "afl-fuzz runs on Linux only";
        else if (Environment.UserName != "root" && !File.Exists("/usr/bin/afl-fuzz"))
            Skip = "afl-fuzz is not installed and installing it needs root";
    }
}
