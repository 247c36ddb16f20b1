using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// What backs a file the host maps as guest RAM, from the file itself: its file system (fstatfs <c>f_type</c>) and
/// the block size the kernel reports for it (statx <c>stx_blksize</c>). hugetlbfs reports its huge page size there;
/// shmem (tmpfs, memfd) reports the PMD size when it will use transparent huge pages for the file whoever maps it
/// (<c>shmem_enabled</c> always/within_size/force, or a <c>huge=</c> mount) and 4 KiB otherwise — including under
/// <c>advise</c>, where the mapping that faults a page in decides (<see cref="ThpEligibility"/>).
/// </summary>
/// <param name="Hugetlb">The file is on hugetlbfs (a <c>MFD_HUGETLB</c> memfd or a hugetlbfs mount).</param>
/// <param name="Shmem">The file is on tmpfs/shmem (a plain memfd, <c>/dev/shm</c>).</param>
/// <param name="BlockSize">stx_blksize in bytes.</param>
/// <param name="Inode">The file's inode number (to find other processes' mappings of it).</param>
public readonly record struct FileHostPages(bool Hugetlb, bool Shmem, ulong BlockSize, ulong Inode = 0)
{
    /// <summary>Probes <paramref name="fd"/>.</summary>
    /// <exception cref="SyscallException">fstatfs or statx failed.</exception>
    public static unsafe FileHostPages Probe(int fd)
    {
        var buf = stackalloc byte[Libc.StatfsBufferSize];
        if (Libc.fstatfs(fd, buf) != 0)
            throw SyscallException.FromLastError("fstatfs");
        var type = *(long*)buf;
        if (Libc.statx(fd, "", Libc.AT_EMPTY_PATH, Libc.STATX_INO, out var stat) != 0)
            throw new SyscallException("statx", Marshal.GetLastPInvokeError(), "AT_EMPTY_PATH");
        return new FileHostPages(type == Libc.HUGETLBFS_MAGIC, type == Libc.TMPFS_MAGIC, stat.stx_blksize, stat.stx_ino);
    }
}
