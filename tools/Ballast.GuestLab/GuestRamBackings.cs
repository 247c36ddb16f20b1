using System.Globalization;
using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.GuestLab;

/// <summary>
/// Names of the guest RAM backings a <see cref="QemuGuest"/> runs on (<see cref="QemuGuestOptions.Backing"/>): on the
/// command line (<c>guest-bench --backing</c>), in tables and JSON; and the QEMU memory backend for each.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>4k</c>: <c>memory-backend-memfd</c> as always (shmem, 4 KiB pages: the host's <c>shmem_enabled</c> is
/// <c>never</c> here, and QEMU's mapping is not 2 MiB aligned anyway, see below).</item>
/// <item><c>hugetlb</c>: <c>memory-backend-memfd,hugetlb=on,hugetlbsize=2M</c>: a sealed <c>MFD_HUGETLB</c> memfd
/// (the daemon needs nothing more). QEMU reserves the whole guest's huge pages when it maps it, so the pool must
/// have them free first (<see cref="GuestRam"/> reserves them).</item>
/// <item><c>thp</c>: transparent huge pages on shmem. Not a memfd: QEMU 11.1.3 maps a memfd's RAM aligned only to
/// the file's page size (4 KiB for shmem), and its guard page leaves the 2 GiB mapping 4 KiB off a 2 MiB boundary,
/// so with <c>shmem_enabled=advise</c> and QEMU's MADV_HUGEPAGE (its VmFlags say <c>hg</c>) the kernel still
/// never gives it a huge page (measured: <c>ShmemHugePages</c> 0 kB after dirtying 1600 MiB). So the guest's RAM is
/// <c>memory-backend-file,mem-path=…,align=2M</c> on a tmpfs mounted for this guest with <c>huge=always</c> (every
/// page of the file a 2 MiB page, whatever <c>shmem_enabled</c> says unless it is <c>deny</c>; the file's
/// <c>st_blksize</c> is 2 MiB, which is how the daemon tells). A tmpfs file cannot be sealed, so the daemon needs
/// <c>--allow-unsealed-memory</c> (<see cref="DaemonArguments"/>).</item>
/// </list>
/// </remarks>
public static class GuestRamBackings
{
    /// <summary>The command-line value that selects every backing.</summary>
    public const string AllName = "all";

    /// <summary>The huge page size the lab uses: 2 MiB (x86-64's PMD).</summary>
    public const long HugePageBytes = 2L << 20;

    /// <summary>Every backing, in the order <c>all</c> runs them.</summary>
    public static IReadOnlyList<MemoryBacking> All { get; } = [MemoryBacking.Pages4K, MemoryBacking.Thp, MemoryBacking.Hugetlb];

    /// <summary>The values a <c>--backing</c> option takes: each backing's name, then <c>all</c>.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [.. All.Select(Name), AllName];

    /// <summary>The name of <paramref name="backing"/>: <c>4k</c>, <c>thp</c> or <c>hugetlb</c>.</summary>
    public static string Name(MemoryBacking backing) => backing switch
    {
        MemoryBacking.Pages4K => "4k",
        MemoryBacking.Thp => "thp",
        MemoryBacking.Hugetlb => "hugetlb",
        _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown memory backing"),
    };

    /// <summary>The backing named <paramref name="name"/> (not <c>all</c>); false if none is.</summary>
    public static bool TryParse(string? name, out MemoryBacking backing)
    {
        foreach (var candidate in All)
        {
            if (Name(candidate) == name)
            {
                backing = candidate;
                return true;
            }
        }
        backing = default;
        return false;
    }

    /// <summary>The backings for a <c>--backing</c> value: every one for <c>all</c>, else the one named.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not a <c>--backing</c> value.</exception>
    public static IReadOnlyList<MemoryBacking> Select(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value == AllName)
            return All;
        if (TryParse(value, out var backing))
            return [backing];
        throw new ArgumentException($"--backing must be one of {string.Join(", ", CommandLineValues)} (got '{value}')", nameof(value));
    }

    /// <summary>
    /// QEMU's <c>-object</c> for guest RAM <c>mem</c> of <paramref name="memoryBytes"/> on <paramref name="backing"/>;
    /// <paramref name="ramFileInRoot"/> is the RAM file's path inside the chroot (<see cref="MemoryBacking.Thp"/> only).
    /// </summary>
    public static string QemuObject(MemoryBacking backing, long memoryBytes, string ramFileInRoot)
    {
        var mem = string.Create(CultureInfo.InvariantCulture, $"{memoryBytes >> 20}M");
        return backing switch
        {
            MemoryBacking.Pages4K => $"memory-backend-memfd,id=mem,size={mem},share=on",
            MemoryBacking.Hugetlb => $"memory-backend-memfd,id=mem,size={mem},share=on,hugetlb=on,hugetlbsize=2M",
            MemoryBacking.Thp => $"memory-backend-file,id=mem,size={mem},share=on,mem-path={ramFileInRoot},align=2M",
            _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown memory backing"),
        };
    }

    /// <summary>
    /// What <c>ballast serve</c> needs besides its usual options to map guest RAM on <paramref name="backing"/>:
    /// <c>--allow-unsealed-memory</c> for the tmpfs file of <see cref="MemoryBacking.Thp"/>, else nothing.
    /// </summary>
    public static IReadOnlyList<string> DaemonArguments(MemoryBacking backing) =>
        backing == MemoryBacking.Thp ? ["--allow-unsealed-memory"] : [];

    /// <summary>
    /// Free 2 MiB huge pages a guest of <paramref name="memoryBytes"/> on hugetlb needs: all of its RAM (QEMU reserves
    /// it when it maps the memfd) plus <paramref name="marginPages"/>.
    /// </summary>
    public static long HugetlbPagesFor(long memoryBytes, long marginPages = GuestRam.HugetlbMarginPages) =>
        (memoryBytes + HugePageBytes - 1) / HugePageBytes + marginPages;

    /// <summary>
    /// Whether a guest RAM file with this <paramref name="probe"/> (fstatfs and statx of QEMU's descriptor) is what
    /// <paramref name="backing"/> asks for: hugetlbfs with 2 MiB pages, shmem with 2 MiB blocks (THP), or not hugetlbfs
    /// (whether a 4 KiB memfd got huge pages anyway shows in <see cref="HostPageCounters"/>). Returns null if so, else why not.
    /// </summary>
    public static string? Mismatch(MemoryBacking backing, FileHostPages probe) => backing switch
    {
        MemoryBacking.Hugetlb when probe.Hugetlb && probe.BlockSize == (ulong)HugePageBytes => null,
        MemoryBacking.Thp when probe.Shmem && probe.BlockSize == (ulong)HugePageBytes => null,
        MemoryBacking.Pages4K when !probe.Hugetlb => null,
        _ => $"guest RAM should be {Name(backing)} but its file is {(probe.Hugetlb ? "on hugetlbfs" : probe.Shmem ? "on shmem" : "elsewhere")} "
            + string.Create(CultureInfo.InvariantCulture, $"with st_blksize {probe.BlockSize}"),
    };
}
