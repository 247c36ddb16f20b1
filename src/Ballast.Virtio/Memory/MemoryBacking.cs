namespace Ballast.Virtio.Memory;

/// <summary>
/// What kind of host page backs a region of guest RAM, which decides how it can be released (issue #14). How
/// <see cref="MemoryRegion"/> decides, from the region's file:
/// <list type="bullet">
/// <item><see cref="Hugetlb"/>: the file is on hugetlbfs (fstatfs <c>f_type</c> = HUGETLBFS_MAGIC: a
/// <c>MFD_HUGETLB</c> memfd, QEMU's <c>memory-backend-memfd,hugetlb=on</c>, or a file on a hugetlbfs mount); the page
/// size is the file's block size (statx <c>stx_blksize</c>).</item>
/// <item><see cref="Thp"/>: a shmem file (tmpfs, memfd) whose block size is the PMD size — the kernel reports
/// that when it gives the file transparent huge pages whoever maps it (<c>shmem_enabled</c> always, within_size or
/// force, or a <c>huge=</c> mount). Under <c>advise</c> the file does not say (the mapping that faults a page in
/// decides): the vhost-user back-end asks the front-end's mappings (<c>ThpEligibility</c>; QEMU advises MADV_HUGEPAGE
/// on all guest RAM) and passes what it found as <see cref="RegionSpec.Backing"/>.</item>
/// <item><see cref="Pages4K"/>: everything else.</item>
/// </list>
/// A region built by <see cref="GuestMemory.CreateMemfd(ulong, string, MemoryBacking)"/> says what it made instead.
/// </summary>
public enum MemoryBacking
{
    /// <summary>Base pages: every 4 KiB frame can be released on its own.</summary>
    Pages4K,

    /// <summary>
    /// Transparent huge pages on shmem: a 4 KiB punch inside a huge page splits it (or, when the split fails, only
    /// zeroes the range), so the device releases whole host pages by default (<c>--release-granularity</c>).
    /// </summary>
    Thp,

    /// <summary>
    /// hugetlbfs: a punch smaller than a host page frees nothing (the kernel zeroes it), so only whole host pages
    /// whose every 4 KiB frame is ballooned are released.
    /// </summary>
    Hugetlb,
}
