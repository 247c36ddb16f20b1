using Ballast.Linux;

namespace Ballast.GuestLab;

/// <summary>
/// The host's huge-page counters at one moment, the evidence that a guest's RAM really is on huge pages and that a
/// release really gave them back: the hugetlb pool's free pages and the shmem THP total (<c>/proc/meminfo</c>), and
/// what QEMU's own mappings hold on huge pages (<c>/proc/&lt;qemu&gt;/smaps_rollup</c>). Sizes in bytes.
/// </summary>
/// <param name="HugetlbFreePages"><c>HugePages_Free</c>: free 2 MiB pages in the hugetlb pool (a released huge page comes back here).</param>
/// <param name="ShmemHugeBytes"><c>ShmemHugePages</c>: shmem/tmpfs memory on transparent huge pages, host-wide.</param>
/// <param name="QemuHugetlbBytes">QEMU's <c>Shared_Hugetlb</c> + <c>Private_Hugetlb</c>: hugetlb memory it has mapped.</param>
/// <param name="QemuShmemPmdMappedBytes">QEMU's <c>ShmemPmdMapped</c>: shmem it maps with 2 MiB page-table entries (THP guest RAM).</param>
/// <param name="QemuFilePmdMappedBytes">QEMU's <c>FilePmdMapped</c>: other files it maps with 2 MiB entries.</param>
public sealed record HostPageCounters(long HugetlbFreePages, long ShmemHugeBytes, long QemuHugetlbBytes, long QemuShmemPmdMappedBytes,
    long QemuFilePmdMappedBytes)
{
    /// <summary>Reads the counters now for QEMU <paramref name="qemuPid"/>.</summary>
    /// <exception cref="InvalidOperationException">QEMU is gone (no smaps_rollup).</exception>
    public static HostPageCounters Read(int qemuPid)
    {
        string meminfo, smaps;
        try
        {
            meminfo = File.ReadAllText(HostMemory.MemInfoPath);
            smaps = File.ReadAllText($"/proc/{qemuPid}/smaps_rollup");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read the huge-page counters of process {qemuPid}: {e.Message}", e);
        }
        return Parse(meminfo, smaps);
    }

    /// <summary>The counters from the text of <c>/proc/meminfo</c> and of QEMU's <c>smaps_rollup</c> (missing lines count 0).</summary>
    public static HostPageCounters Parse(string meminfo, string smapsRollup)
    {
        ArgumentNullException.ThrowIfNull(meminfo);
        ArgumentNullException.ThrowIfNull(smapsRollup);
        return new HostPageCounters(
            Field(meminfo, "HugePages_Free"),
            Field(meminfo, "ShmemHugePages") * 1024,
            (Field(smapsRollup, "Shared_Hugetlb") + Field(smapsRollup, "Private_Hugetlb")) * 1024,
            Field(smapsRollup, "ShmemPmdMapped") * 1024,
            Field(smapsRollup, "FilePmdMapped") * 1024);
    }

    /// <summary>The number after <c>KEY:</c> on its own line (kB for sizes), or 0.</summary>
    private static long Field(string text, string key) => HostMemory.TryParseField(text, key, out var n, out _) ? n : 0;
}
