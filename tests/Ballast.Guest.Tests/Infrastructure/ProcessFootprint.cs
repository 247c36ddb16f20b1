using System.Buffers;
using System.Globalization;
using Ballast.GuestLab;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// One reading of a process's footprint from <c>/proc/&lt;pid&gt;</c>: resident memory (<c>status</c>'s
/// <c>VmRSS</c> = <c>RssAnon</c> + <c>RssFile</c> + <c>RssShmem</c>, kB), threads, open file descriptors (the
/// entries of <c>fd/</c>), and from <c>smaps</c> the two parts of RssShmem a .NET daemon serving a guest has.
/// </summary>
/// <param name="At">When it was taken, from the start of the recording.</param>
/// <param name="RssKib">VmRSS.</param>
/// <param name="RssAnonKib">RssAnon: the managed heap, native allocations, stacks.</param>
/// <param name="RssShmemKib">RssShmem: shared memory mapped (<paramref name="JitCodeKib"/> + <paramref name="GuestRamKib"/> for the daemon).</param>
/// <param name="JitCodeKib">
/// Resident pages of the runtime's JIT'ed code: with W^X on (the default) .NET maps executable memory twice through a
/// <c>/memfd:doublemapper</c> file, so it counts as shared memory and grows while methods tier up.
/// </param>
/// <param name="GuestRamKib">Resident pages of the guest's RAM (<c>/memfd:memory-backend-memfd</c>) the process has touched: rings and buffers.</param>
/// <param name="Threads">Threads.</param>
/// <param name="Fds">Open file descriptors.</param>
public readonly record struct ProcessFootprint(
    TimeSpan At, long RssKib, long RssAnonKib, long RssShmemKib, long JitCodeKib, long GuestRamKib, int Threads, int Fds)
{
    private static readonly SearchValues<char> s_hexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>The file the runtime double-maps executable memory through.</summary>
    public const string JitCodeMapping = "/memfd:doublemapper";

    /// <summary>Reads process <paramref name="pid"/> now.</summary>
    /// <exception cref="InvalidOperationException">The process is gone (or a zombie: its status has no VmRSS any more).</exception>
    public static ProcessFootprint Read(int pid, TimeSpan at)
    {
        string[] status;
        string[] smaps;
        int fds;
        try
        {
            status = File.ReadAllLines($"/proc/{pid}/status");
            fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            smaps = File.ReadAllLines($"/proc/{pid}/smaps");
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or IOException)
        {
            throw new InvalidOperationException($"process {pid} is gone: {e.Message}", e);
        }
        long? Field(string name)
        {
            var line = status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
            // "VmRSS:\t   61234 kB", "Threads:\t23"
            return line is null ? null : FirstNumber(line[(name.Length + 1)..]);
        }
        var rss = Field("VmRSS") ?? throw new InvalidOperationException($"process {pid} has exited (its status has no VmRSS)");
        return new ProcessFootprint(at, rss, Field("RssAnon") ?? 0, Field("RssShmem") ?? 0,
            MappedRssKib(smaps, JitCodeMapping), MappedRssKib(smaps, GuestRamFile.MemfdLinkPrefix), (int)(Field("Threads") ?? 0), fds);
    }

    /// <summary>
    /// The sum of <c>Rss:</c> over the mappings in <paramref name="smaps"/> whose path starts with <paramref name="path"/>
    /// (a mapping's header is <c>start-end perms offset dev inode   path</c>; its <c>Rss:</c> line follows).
    /// </summary>
    public static long MappedRssKib(IEnumerable<string> smaps, string path)
    {
        ArgumentNullException.ThrowIfNull(smaps);
        long total = 0;
        var inside = false;
        foreach (var line in smaps)
        {
            if (IsMappingHeader(line))
            {
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                inside = fields.Length == 6 && fields[5].StartsWith(path, StringComparison.Ordinal);
            }
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += FirstNumber(line[4..]);
            }
        }
        return total;
    }

    /// <summary>A header starts with the address range <c>hex-hex</c>; attribute lines start with a name and a colon.</summary>
    private static bool IsMappingHeader(string line)
    {
        var dash = line.IndexOf('-', StringComparison.Ordinal);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return dash > 0 && space > dash && line.AsSpan(0, dash).IndexOfAnyExcept(s_hexDigits) < 0;
    }

    private static long FirstNumber(string text) => long.Parse(text.Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>The CSV header matching <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "seconds,rss_kib,rss_anon_kib,rss_shmem_kib,jit_code_kib,guest_ram_kib,threads,fds";

    /// <summary>One CSV line.</summary>
    public string ToCsv() =>
        string.Create(CultureInfo.InvariantCulture, $"{At.TotalSeconds:0.000},{RssKib},{RssAnonKib},{RssShmemKib},{JitCodeKib},{GuestRamKib},{Threads},{Fds}");
}
