using System.Xml.Linq;

namespace Ballast.Packaging.Tests.Support;

/// <summary>Paths in the repository the tests run from, and the version it declares.</summary>
internal static class Repository
{
    /// <summary>The folder holding Ballast.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Directory.Build.props' &lt;Version&gt;: the one place Ballast's version is set.</summary>
    public static string Version { get; } = ReadVersion();

    /// <summary>A path under the repository root, from its parts.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Ballast.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Ballast.slnx not found above {AppContext.BaseDirectory}");
    }

    private static string ReadVersion()
    {
        var props = XDocument.Load(Path("Directory.Build.props"));
        return props.Descendants("Version").Single().Value;
    }
}
