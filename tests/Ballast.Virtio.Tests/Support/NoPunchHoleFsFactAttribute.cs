

namespace Ballast.Virtio.Tests.Support;

/// <summary>
/// A fact that needs a writable directory on a file system without fallocate(PUNCH_HOLE) (ramfs, vfat…):
/// $BALLAST_NO_PUNCH_HOLE_DIR, else the first such mount in /proc/mounts. Skipped when there is none — e.g. run
/// <c>unshare -m sh -c 'mount -t ramfs none /mnt &amp;&amp; BALLAST_NO_PUNCH_HOLE_DIR=/mnt dotnet test …'</c> to cover it.
/// </summary>
public sealed class NoPunchHoleFsFactAttribute : FactAttribute
{
    private static readonly string[] FileSystems = ["ramfs", "vfat", "msdos", "exfat"];

    public NoPunchHoleFsFactAttribute()
    {
        if (Directory is null)
            Skip = "no writable file system without punch-hole (set BALLAST_NO_PUNCH_HOLE_DIR, e.g. a ramfs mount)";
    }

    /// <summary>The directory to use, or null.</summary>
    public static string? Directory { get; } = Find();

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BALLAST_NO_PUNCH_HOLE_DIR");
        if (!string.IsNullOrEmpty(fromEnv))
            return fromEnv;
        try
        {
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var f = line.Split(' ');
                if (f.Length > 3 && FileSystems.Contains(f[2]) && f[3].Split(',').Contains("rw") && IsWritable(f[1]))
                    return f[1];
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static bool IsWritable(string dir)
    {
        try
        {
            var probe = Path.Combine(dir, $".ballast-probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
