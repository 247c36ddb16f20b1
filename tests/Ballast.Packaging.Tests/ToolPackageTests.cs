using System.Globalization;
using Ballast.Packaging.Tests.Support;
using Xunit.Abstractions;

namespace Ballast.Packaging.Tests;

/// <summary>
/// The dotnet tool package: `dotnet pack` makes Ballast.Tool, `dotnet tool install --tool-path` installs it from a
/// local folder, and the installed `ballast` prints the repository's version and bench's help.
/// </summary>
public sealed class ToolPackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ballast-tool-");

    [Fact]
    public void ToolPackage_InstalledFromLocalFolder_RunsVersionAndBenchHelp()
    {
        var feed = Path.Combine(_dir.FullName, "feed");
        var tools = Path.Combine(_dir.FullName, "tools");

        var pack = Dotnet(TimeSpan.FromMinutes(15), "pack", Repository.Path("src", "Ballast.Cli"), "-c", "Release", "-o", feed);

        Assert.True(pack.Succeeded, pack.Describe());
        var package = new FileInfo(Path.Combine(feed, $"Ballast.Tool.{Repository.Version}.nupkg"));
        Assert.True(package.Exists, $"no {package.Name} in {feed}:\n{pack.Output}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{package.Name}: {package.Length / 1048576.0:F1} MiB"));

        var install = Dotnet(TimeSpan.FromMinutes(5), "tool", "install", "--tool-path", tools, "--add-source", feed,
            "--version", Repository.Version, "Ballast.Tool");

        Assert.True(install.Succeeded, install.Describe());
        var ballast = Path.Combine(tools, "ballast");
        var version = BoundedProcess.Run(ballast, ["--version"], TimeSpan.FromMinutes(1));
        Assert.True(version.Succeeded, version.Describe());
        Assert.Equal(Repository.Version, version.Output.Trim());
        var benchHelp = BoundedProcess.Run(ballast, ["bench", "--help"], TimeSpan.FromMinutes(1));
        Assert.True(benchHelp.Succeeded, benchHelp.Describe());
        Assert.Contains("Usage:", benchHelp.Output, StringComparison.Ordinal);
        Assert.Contains("ballast bench [options]", benchHelp.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private ProcessResult Dotnet(TimeSpan limit, params string[] arguments)
    {
        var run = BoundedProcess.Run("dotnet", arguments, limit, _dir.FullName, new Dictionary<string, string>
        {
            // A tool path and feed of our own; the machine's NuGet cache and sources otherwise as configured.
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dotnet {arguments[0]} {arguments[1]}: {run.Elapsed.TotalSeconds:F1} s"));
        return run;
    }
}
