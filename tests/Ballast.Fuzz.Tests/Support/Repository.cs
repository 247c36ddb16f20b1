namespace Ballast.Fuzz.Tests.Support;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repository
{
    /// <summary>The folder holding Ballast.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>fuzz/corpus/TARGET.</summary>
    public static string Corpus(string target) => Path.Combine(Root, "fuzz", "corpus", target);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ballast.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Ballast.slnx not found above {AppContext.BaseDirectory}");
    }
}
