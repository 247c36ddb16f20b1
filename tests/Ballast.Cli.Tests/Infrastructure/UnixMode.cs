namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>File modes, for the tests that check the API socket is 0600.</summary>
internal static class UnixMode
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static UnixFileMode Of(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("Unix file modes") : File.GetUnixFileMode(path);
}
