using System.Globalization;

namespace Ballast.Footprint;

/// <summary>
/// What <c>/proc/PID/status</c> says about one process's memory and threads (proc(5)): <c>VmRSS</c> = <c>RssAnon</c>
/// (private heap, stacks) + <c>RssFile</c> (mapped files: the binary, libraries) + <c>RssShmem</c> (shared memory: here
/// the guest RAM pages the daemon touched, i.e. the rings; a JIT's double-mapped code too); and <c>Pss</c> from
/// <c>/proc/PID/smaps_rollup</c>: RSS with each shared page divided among the processes that map it (the supervisor and
/// its worker share the program's file pages), so PSS adds up across processes. Sizes in KiB.
/// </summary>
internal sealed record ProcessStatus(int Pid, string Role, long RssKiB, long PssKiB, long AnonKiB, long FileKiB, long ShmemKiB, int Threads)
{
    /// <summary>Reads <paramref name="pid"/>'s status.</summary>
    public static ProcessStatus Read(int pid, string role)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
                fields[line[..colon]] = line[(colon + 1)..].Trim();
        }
        var pss = File.ReadLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Pss:", StringComparison.Ordinal));
        return new ProcessStatus(pid, role, KiB(fields, "VmRSS"),
            long.Parse(pss["Pss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture), KiB(fields, "RssAnon"), KiB(fields, "RssFile"), KiB(fields, "RssShmem"),
            int.Parse(fields["Threads"], CultureInfo.InvariantCulture));
    }

    /// <summary>The sum of <paramref name="processes"/>, named <paramref name="role"/>.</summary>
    public static ProcessStatus Sum(IReadOnlyCollection<ProcessStatus> processes, string role) =>
        new(0, role, processes.Sum(p => p.RssKiB), processes.Sum(p => p.PssKiB), processes.Sum(p => p.AnonKiB), processes.Sum(p => p.FileKiB),
            processes.Sum(p => p.ShmemKiB), processes.Sum(p => p.Threads));

    /// <summary>The live children of <paramref name="pid"/> (from <c>/proc/*/stat</c>).</summary>
    public static List<int> Children(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
                    children.Add(candidate);
            }
            catch (IOException)
            {
                // The process ended while the directory was read.
            }
        }
        return children;
    }

    private static long KiB(Dictionary<string, string> fields, string name) =>
        long.Parse(fields[name].Split(' ')[0], CultureInfo.InvariantCulture);
}
