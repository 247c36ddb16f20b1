namespace Ballast.Linux;

/// <summary>
/// Whether another process maps a shmem file in a way that gets transparent huge pages: under THP's
/// <c>shmem_enabled=advise</c> the file itself does not say (its block size stays 4 KiB); the mapping that faults a page
/// in decides, and <c>/proc/PID/smaps</c> reports that per mapping as <c>THPeligible</c>. Used for guest RAM a vhost-user
/// front-end sends: QEMU advises MADV_HUGEPAGE on its guest RAM, a front-end that does not gets 4 KiB pages.
/// </summary>
public static class ThpEligibility
{
    /// <summary>
    /// True if process <paramref name="pid"/> has a THP-eligible mapping of the file with inode
    /// <paramref name="inode"/>, false if it maps the file and no mapping is eligible, null if its smaps cannot be read
    /// or it does not map the file.
    /// </summary>
    public static bool? MapsHuge(int pid, ulong inode)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/smaps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return MapsHuge(lines, inode);
    }

    /// <summary>The same over the lines of an smaps file (for tests).</summary>
    public static bool? MapsHuge(IReadOnlyList<string> smaps, ulong inode)
    {
        ArgumentNullException.ThrowIfNull(smaps);
        bool? found = null;
        var inMapping = false;
        foreach (var line in smaps)
        {
            if (SmapsHeader.TryParse(line, out var header))
            {
                inMapping = header.Inode == inode;
                if (inMapping)
                    found ??= false;
                continue;
            }
            if (inMapping && line.StartsWith("THPeligible:", StringComparison.Ordinal) && line.AsSpan(12).Trim() is "1")
                return true;
        }
        return found;
    }
}
