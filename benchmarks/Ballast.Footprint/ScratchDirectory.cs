namespace Ballast.Footprint;

/// <summary>A fresh directory under the temporary folder for one daemon's sockets, removed on dispose.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    private readonly string _path = Directory.CreateTempSubdirectory("ballast-footprint-").FullName;

    /// <summary>A path in the directory.</summary>
    public string File(string name) => Path.Combine(_path, name);

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(_path, recursive: true);
        }
        catch (IOException)
        {
            // A socket file still being removed by an exiting daemon; the temporary folder is cleaned eventually.
        }
    }
}
