using System.Runtime.InteropServices;
using Ballast.Linux;
using Ballast.Linux.Interop;

namespace Ballast.GuestLab;

/// <summary>
/// Host memory behind a guest's RAM: the guest runs on <c>-object memory-backend-memfd,id=mem,share=on</c>, whose
/// file QEMU keeps open as <c>/memfd:memory-backend-memfd (deleted)</c> (with <c>hugetlb=on</c> too: the link reads
/// the same), or on a file of its own (<see cref="GuestRam.LinkPrefix"/>). Its <c>st_blocks</c> × 512 is what the
/// host actually holds for guest RAM right now; on hugetlbfs too (each huge page counts 2 MiB of blocks, and a
/// punched one goes back to the pool at once).
/// </summary>
/// <remarks>
/// Why the file's blocks and not QEMU's <c>RssShmem</c>: the blocks count every page of the file, whoever touched
/// it (QEMU's vCPU, the daemon's mapping) and whether or not it is mapped in QEMU's page tables, and nothing else;
/// RssShmem counts only pages QEMU has mapped, and every shared mapping of the process. A punched hole frees the
/// blocks at once, so the figure falls exactly when a balloon device gives memory back. It works the same for
/// QEMU's built-in balloon (no daemon) and for Ballast's.
/// </remarks>
public static class GuestRamFile
{
    /// <summary>The name QEMU gives the memfd of <c>memory-backend-memfd</c> (as its /proc fd link shows).</summary>
    public const string MemfdLinkPrefix = "/memfd:memory-backend-memfd";

    /// <summary>
    /// The link of QEMU's guest-RAM file, <c>/proc/&lt;pid&gt;/fd/&lt;n&gt;</c>: the first whose target starts with
    /// <paramref name="linkPrefix"/> (QEMU's memfd by default).
    /// </summary>
    /// <exception cref="InvalidOperationException">QEMU holds no such file (or is gone).</exception>
    public static string FindDescriptor(int qemuPid, string linkPrefix = MemfdLinkPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(linkPrefix);
        var directory = $"/proc/{qemuPid}/fd";
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries(directory))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue; // closed while we looked
                }
                if (target is not null && target.StartsWith(linkPrefix, StringComparison.Ordinal))
                    return fd;
            }
        }
        catch (DirectoryNotFoundException)
        {
            throw new InvalidOperationException($"process {qemuPid} is gone: no {directory}");
        }
        throw new InvalidOperationException($"process {qemuPid} holds no {linkPrefix} file (is it QEMU with that memory backend?)");
    }

    /// <summary>Bytes of host memory allocated to QEMU <paramref name="qemuPid"/>'s guest RAM (st_blocks × 512).</summary>
    public static long AllocatedBytes(int qemuPid, string linkPrefix = MemfdLinkPrefix)
    {
        var fd = FindDescriptor(qemuPid, linkPrefix);
        if (Libc.statx(Libc.AT_FDCWD, fd, 0, Libc.STATX_BLOCKS | Libc.STATX_SIZE, out var stat) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"statx({fd}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        if ((stat.stx_mask & Libc.STATX_BLOCKS) == 0)
            throw new InvalidOperationException($"statx({fd}) did not report st_blocks");
        return checked((long)stat.stx_blocks * 512);
    }

    /// <summary>
    /// What backs QEMU <paramref name="qemuPid"/>'s guest RAM file, as the daemon sees it (<see cref="FileHostPages"/>:
    /// its file system and st_blksize), through a descriptor of our own opened on QEMU's <c>/proc</c> link.
    /// </summary>
    public static FileHostPages Probe(int qemuPid, string linkPrefix = MemfdLinkPrefix)
    {
        var fd = FindDescriptor(qemuPid, linkPrefix);
        using var handle = File.OpenHandle(fd, FileMode.Open, FileAccess.Read);
        return FileHostPages.Probe((int)handle.DangerousGetHandle());
    }
}
