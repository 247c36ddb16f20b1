namespace Ballast.TestKit;

/// <summary>The repository the tests run from: the folder holding Ballast.slnx, found upwards from the test assembly.</summary>
internal static class RepositoryRoot
{
    /// <summary>The repository's root folder.</summary>
    public static string Path { get; } = Find();

    /// <summary><paramref name="relative"/> (with '/') under the root.</summary>
    public static string File(string relative) => System.IO.Path.Combine(Path, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Ballast.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Ballast.slnx not found above {AppContext.BaseDirectory}");
    }
}
