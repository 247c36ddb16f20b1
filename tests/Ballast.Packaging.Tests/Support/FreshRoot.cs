using System.Text.RegularExpressions;

namespace Ballast.Packaging.Tests.Support;

/// <summary>
/// A Debian root of its own for one test: an overlay mount whose lower layer is the pristine root (never written)
/// and whose upper layer is a fresh directory under /tmp, so every test starts from the same untouched system and
/// costs no copy. /proc is mounted inside, as on a running system (the .NET runtime reads it). Dispose unmounts
/// both and deletes the upper layer.
/// </summary>
internal sealed partial class FreshRoot : IDisposable
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromMinutes(2);
    private readonly string _dir;

    public FreshRoot(string pristine)
    {
        _dir = Directory.CreateTempSubdirectory("ballast-root-").FullName;
        Directory.CreateDirectory(System.IO.Path.Combine(_dir, "upper"));
        Directory.CreateDirectory(System.IO.Path.Combine(_dir, "work"));
        Path = System.IO.Path.Combine(_dir, "root");
        Directory.CreateDirectory(Path);
        var mount = BoundedProcess.Run("mount", ["-t", "overlay", "overlay", "-o",
            $"lowerdir={pristine},upperdir={_dir}/upper,workdir={_dir}/work", Path], CommandLimit);
        if (!mount.Succeeded)
        {
            Directory.Delete(_dir, recursive: true);
            throw new InvalidOperationException(mount.Describe());
        }
        var proc = BoundedProcess.Run("mount", ["-t", "proc", "proc", HostPath("/proc")], CommandLimit);
        if (!proc.Succeeded)
        {
            Dispose();
            throw new InvalidOperationException(proc.Describe());
        }
    }

    /// <summary>The root as seen from the host.</summary>
    public string Path { get; }

    /// <summary>A path inside the root (absolute as seen from inside) as seen from the host.</summary>
    public string HostPath(string pathInside) => System.IO.Path.Combine(Path, pathInside.TrimStart('/'));

    /// <summary>Runs a command inside the root (chroot) with a plain environment.</summary>
    public ProcessResult Run(params string[] command) =>
        BoundedProcess.Run("chroot", [Path, .. command], CommandLimit, "/", new Dictionary<string, string>
        {
            ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin",
            ["LC_ALL"] = "C.UTF-8",
            ["DEBIAN_FRONTEND"] = "noninteractive",
        });

    /// <summary>Copies <paramref name="deb"/> into the root and installs it with dpkg -i; throws if dpkg fails.</summary>
    public void Install(string deb)
    {
        var inside = "/tmp/" + System.IO.Path.GetFileName(deb);
        File.Copy(deb, HostPath(inside));
        var install = Run("dpkg", "-i", inside);
        if (!install.Succeeded)
            throw new InvalidOperationException(install.Describe());
        File.Delete(HostPath(inside));
    }

    /// <summary>
    /// Every path in the root, from its top, except the kernel's file systems and the ones dpkg and man-db keep
    /// their records in.
    /// </summary>
    public SortedSet<string> Paths()
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path]);
        while (pending.TryPop(out var dir))
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                var relative = "/" + System.IO.Path.GetRelativePath(Path, entry.FullName);
                if (Bookkeeping().IsMatch(relative))
                    continue;
                paths.Add(relative);
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                    pending.Push(entry.FullName);
            }
        }
        return paths;
    }

    public void Dispose()
    {
        // Left in place if it cannot be unmounted: deleting through the mount point is not what we want.
        if (File.Exists(HostPath("/proc/self/stat")))
            BoundedProcess.Run("umount", [HostPath("/proc")], CommandLimit);
        if (!BoundedProcess.Run("umount", [Path], CommandLimit).Succeeded)
            return;
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>/proc, and dpkg's database and logs, man-db's index cache and debconf's cache: records, not installed files.</summary>
    [GeneratedRegex(@"^/(proc|var/lib/dpkg|var/log|var/cache/man|var/cache/debconf)(/|$)")]
    private static partial Regex Bookkeeping();
}
