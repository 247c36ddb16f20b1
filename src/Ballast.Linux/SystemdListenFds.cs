using System.Globalization;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// sd_listen_fds_with_names(3) without libsystemd: the descriptors a service manager passed from descriptor 3 on
/// (<c>LISTEN_PID</c>, <c>LISTEN_FDS</c>, <c>LISTEN_FDNAMES</c>) — sockets it activated the service on, and what the
/// service put in its file-descriptor store before it was restarted.
/// </summary>
public static class SystemdListenFds
{
    /// <summary>The first descriptor passed (SD_LISTEN_FDS_START).</summary>
    public const int FirstFd = 3;

    /// <summary>
    /// Takes the passed descriptors with their names, in descriptor order (made close-on-exec; the variables are removed
    /// so no child sees them). Empty if none were passed to this very process (<c>LISTEN_PID</c> names another, or is
    /// missing). A descriptor without a name gets <c>unknown</c>, as sd_listen_fds_with_names(3) does; names may repeat
    /// (a socket unit's listeners share its <c>FileDescriptorName=</c>), so the caller tells them apart.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, int>> Take()
    {
        var pidText = Environment.GetEnvironmentVariable("LISTEN_PID");
        var countText = Environment.GetEnvironmentVariable("LISTEN_FDS");
        var namesText = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        var fds = new List<KeyValuePair<string, int>>();
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != Environment.ProcessId
            || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0)
            return fds;
        var names = namesText?.Split(':') ?? [];
        for (var i = 0; i < count; i++)
        {
            var fd = FirstFd + i;
            _ = Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
            fds.Add(new(i < names.Length && names[i].Length > 0 ? names[i] : "unknown", fd));
        }
        return fds;
    }
}
