using System.Security.Cryptography;

namespace Ballast.GuestLab;

/// <summary>
/// One guest's directory under <see cref="GuestEnvironment.RunDirectory"/> (inside the QEMU chroot): its serial
/// log, console, QMP and vhost-user sockets, the daemon's API socket. Each file has a host path (for us and the
/// daemon) and a path inside the chroot (for QEMU). Deleted on dispose unless <see cref="Keep"/> is set.
/// </summary>
public sealed class GuestRunDirectory : IDisposable
{
    /// <summary>sizeof(sun_path): a Unix socket path must be shorter.</summary>
    public const int MaxSocketPath = 108;

    /// <summary>The longest file name used in a run directory ("balloon.sock.api" or the like).</summary>
    public const int LongestFileName = 16;

    private GuestRunDirectory(string hostPath, string inRootPath)
    {
        HostPath = hostPath;
        InRootPath = inRootPath;
    }

    /// <summary>The directory as the host sees it.</summary>
    public string HostPath { get; }

    /// <summary>The directory as QEMU in the chroot sees it.</summary>
    public string InRootPath { get; }

    /// <summary>
    /// Keep the directory (with its serial log) on dispose, e.g. after a failure; on from the start when the
    /// environment has <c>BALLAST_KEEP_RUNS=1</c> (to read a benchmark's guest log afterwards).
    /// </summary>
    public bool Keep { get; set; } = Environment.GetEnvironmentVariable(KeepVariable) == "1";

    /// <summary>The environment variable that keeps every run directory.</summary>
    public const string KeepVariable = "BALLAST_KEEP_RUNS";

    /// <summary>Creates <c>RUN_DIR/&lt;prefix&gt;.&lt;8 random hex digits&gt;</c>.</summary>
    /// <exception cref="PathTooLongException">A socket in it would not fit in sun_path.</exception>
    public static GuestRunDirectory Create(GuestEnvironment environment, string prefix)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var host = Path.Combine(environment.RunDirectory, $"{prefix}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        if (host.Length + 1 + LongestFileName >= MaxSocketPath)
            throw new PathTooLongException($"{host} is too long for Unix sockets in it (sun_path holds {MaxSocketPath - 1} bytes); use a shorter BALLAST_GUEST_CACHE");
        Directory.CreateDirectory(host);
        return new GuestRunDirectory(host, environment.InRoot(host));
    }

    /// <summary>Host path of <paramref name="name"/> in this directory.</summary>
    public string HostFile(string name) => Path.Combine(HostPath, name);

    /// <summary>Path inside the chroot of <paramref name="name"/> in this directory.</summary>
    public string InRootFile(string name) => InRootPath + "/" + name;

    /// <summary>Deletes the directory unless <see cref="Keep"/> is set (best effort).</summary>
    public void Dispose()
    {
        if (Keep)
            return;
        try
        {
            Directory.Delete(HostPath, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
