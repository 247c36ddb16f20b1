using System.Globalization;

namespace Ballast.Linux;

/// <summary>
/// The host's huge-page settings, read from <c>/proc/meminfo</c> and <c>/sys/kernel/mm/transparent_hugepage</c>:
/// the hugetlb pool (<c>vm.nr_hugepages</c>) and whether shmem (memfds) may use transparent huge pages.
/// </summary>
public static class HugePageSettings
{
    /// <summary>THP's shmem policy file: always, within_size, advise, never, deny or force; the chosen one in brackets.</summary>
    public const string ShmemEnabledPath = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";

    /// <summary>The PMD (transparent huge page) size in bytes.</summary>
    public const string PmdSizePath = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size";

    /// <summary>The x86-64 huge page size Ballast uses for hugetlb memory: 2 MiB.</summary>
    public const ulong HugetlbPageSize = 2UL << 20;

    /// <summary>The selected shmem THP mode ("never" where the file is missing or unreadable).</summary>
    public static string ShmemThpMode() => Selected(ReadOrNull(ShmemEnabledPath)) ?? "never";

    /// <summary>True when shmem may use THP at all: a mode other than never and deny.</summary>
    public static bool ShmemThpPossible() => ShmemThpMode() is not ("never" or "deny");

    /// <summary>The PMD size (2 MiB on x86-64; from <see cref="PmdSizePath"/> where readable).</summary>
    public static ulong PmdSize() =>
        ulong.TryParse(ReadOrNull(PmdSizePath)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
            ? size
            : HugetlbPageSize;

    /// <summary>Free pages in the default hugetlb pool (<c>HugePages_Free</c>), or 0.</summary>
    public static long HugetlbFreePages() => MemInfoCount("HugePages_Free") ?? 0;

    /// <summary>Pages in the default hugetlb pool (<c>HugePages_Total</c> = vm.nr_hugepages), or 0.</summary>
    public static long HugetlbTotalPages() => MemInfoCount("HugePages_Total") ?? 0;

    /// <summary>
    /// Bytes of shared memory (tmpfs, memfds) held in transparent huge pages host-wide (<c>ShmemHugePages</c>), or 0.
    /// </summary>
    public static long ShmemHugeBytes() => (MemInfoCount("ShmemHugePages") ?? 0) * 1024;

    /// <summary>The bracketed word of a sysfs choice line ("always [madvise] never" → "madvise").</summary>
    public static string? Selected(string? choices)
    {
        if (choices is null)
            return null;
        var open = choices.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : choices.IndexOf(']', open + 1);
        return close > open + 1 ? choices[(open + 1)..close] : null;
    }

    /// <summary>The number on <paramref name="key"/>'s line of /proc/meminfo (without its kB unit), or null.</summary>
    private static long? MemInfoCount(string key) =>
        ReadOrNull(HostMemory.MemInfoPath) is { } text && HostMemory.TryParseField(text, key, out var n, out _) ? n : null;

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
