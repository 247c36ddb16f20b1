using Ballast.Linux;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Virtio.Memory;

/// <summary>
/// Guest RAM as a set of non-overlapping regions, each a shared mapping of a file (a memfd we create, or fds
/// received over vhost-user), with holes between them. Translates guest-physical addresses to host pointers,
/// rejecting anything that is not entirely RAM, and gives ranges of it back to the host.
/// </summary>
/// <remarks>
/// Translation and release are safe to call from one thread at a time per caller; the region table itself is
/// immutable after construction (a new table means a new <see cref="GuestMemory"/>, as with SET_MEM_TABLE).
/// </remarks>
public sealed unsafe class GuestMemory : IDisposable
{
    /// <summary>The balloon's unit and the host page size we release in (<see cref="GuestPage.Size"/>).</summary>
    public const ulong PageSize = GuestPage.Size;

    /// <summary>Start of the hole QEMU leaves below 1 MiB (legacy VGA/BIOS), and its end.</summary>
    public const ulong LowHoleStart = 0xf0000, LowHoleEnd = 0x100000;

    private readonly MemoryRegion[] _regions; // sorted by GuestPhysAddr
    private MemoryRegion _lastHit;
    private bool _disposed;

    private GuestMemory(MemoryRegion[] regions)
    {
        _regions = regions;
        _lastHit = regions[0];
        foreach (var r in regions)
            RamBytes += r.Size;
    }

    /// <summary>All regions, ascending by guest-physical address.</summary>
    public IReadOnlyList<MemoryRegion> Regions => _regions;

    /// <summary>Total bytes of RAM (holes excluded).</summary>
    public ulong RamBytes { get; }

    /// <summary>One past the highest guest-physical RAM address.</summary>
    public ulong EndAddress => _regions[^1].GuestPhysEnd;

    /// <summary>
    /// Creates guest RAM of <paramref name="ramBytes"/> on a new memfd, laid out as QEMU does for a small
    /// guest: [0, 0xf0000) and [0x100000, ramBytes), with file offsets equal to guest addresses. The memfd is
    /// sealed as QEMU seals it (<see cref="Seals"/>), so it can be handed to a vhost-user back-end.
    /// </summary>
    /// <param name="ramBytes">Guest RAM; a multiple of 4096 above 1 MiB (of 2 MiB on <see cref="MemoryBacking.Hugetlb"/>).</param>
    /// <param name="name">The memfd's name.</param>
    /// <param name="backing">4 KiB pages, transparent huge pages (the memfd mapped with MADV_HUGEPAGE), or a 2 MiB
    /// <c>MFD_HUGETLB</c> memfd.</param>
    /// <exception cref="InvalidOperationException">The host cannot give that backing: no THP for shmem, or fewer free
    /// 2 MiB huge pages than the guest needs. The message names the setting to change.</exception>
    public static GuestMemory CreateMemfd(ulong ramBytes, string name = "ballast-guest", MemoryBacking backing = MemoryBacking.Pages4K)
    {
        if (ramBytes <= LowHoleEnd || ramBytes % PageSize != 0)
            throw new ArgumentOutOfRangeException(nameof(ramBytes), ramBytes, "guest RAM must be a multiple of 4096 above 1 MiB");
        return CreateMemfd([(0, LowHoleStart, 0), (LowHoleEnd, ramBytes - LowHoleEnd, LowHoleEnd)], name, backing);
    }

    /// <summary>
    /// Throws unless this host can back <paramref name="fileBytes"/> of guest RAM with <paramref name="backing"/>,
    /// naming the exact setting a root user changes.
    /// </summary>
    /// <exception cref="InvalidOperationException">It cannot.</exception>
    public static void CheckBacking(MemoryBacking backing, ulong fileBytes)
    {
        switch (backing)
        {
            case MemoryBacking.Thp when !HugePageSettings.ShmemThpPossible():
                throw new InvalidOperationException(
                    $"transparent huge pages are off for shared memory (shmem_enabled is '{HugePageSettings.ShmemThpMode()}'): as root, "
                    + $"'echo advise > {HugePageSettings.ShmemEnabledPath}'");
            case MemoryBacking.Hugetlb:
                var hugePage = HugePageSettings.HugetlbPageSize;
                if (fileBytes % hugePage != 0)
                    throw new InvalidOperationException($"guest RAM on hugetlb must be a multiple of 2 MiB ({fileBytes} bytes is not)");
                var needed = (long)(fileBytes / hugePage);
                var free = HugePageSettings.HugetlbFreePages();
                if (free < needed)
                    throw new InvalidOperationException(
                        $"guest RAM on hugetlb needs {needed} free 2 MiB huge pages and the host has {free} (HugePages_Free in /proc/meminfo): "
                        + $"as root, 'sysctl vm.nr_hugepages={HugePageSettings.HugetlbTotalPages() + needed - free}'");
                break;
        }
    }

    /// <summary>
    /// What <see cref="CreateMemfd(ulong, string, MemoryBacking)"/> seals its memfd with once it is sized: what QEMU's
    /// <c>memory-backend-memfd</c> (seal=on, its default) uses — the file can never shrink or grow, and no other seal
    /// can be added. A vhost-user back-end maps guest RAM MAP_SHARED; had the file shrunk, its next access to a lost
    /// page would fault (SIGBUS), so Ballast's back-end refuses a region without F_SEAL_SHRINK. Punching holes
    /// (<see cref="Release(in HostRange)"/>) keeps the size and is not affected.
    /// </summary>
    public const int Seals = Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL;

    /// <summary>
    /// Creates guest RAM on one new memfd with an explicit layout of (guest address, size, file offset) regions. The
    /// memfd is made with MFD_ALLOW_SEALING and sealed with <see cref="Seals"/> after sizing.
    /// </summary>
    public static GuestMemory CreateMemfd(IReadOnlyList<(ulong GuestPhysAddr, ulong Size, ulong FdOffset)> layout, string name = "ballast-guest",
        MemoryBacking backing = MemoryBacking.Pages4K)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Count == 0)
            throw new ArgumentException("at least one region is needed", nameof(layout));
        ulong fileSize = 0;
        foreach (var (_, size, off) in layout)
            fileSize = Math.Max(fileSize, off + size);
        if (backing == MemoryBacking.Hugetlb)
            fileSize = (fileSize + HugePageSettings.HugetlbPageSize - 1) / HugePageSettings.HugetlbPageSize * HugePageSettings.HugetlbPageSize;
        CheckBacking(backing, fileSize);

        var flags = Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING | (backing == MemoryBacking.Hugetlb ? Libc.MFD_HUGETLB | Libc.MFD_HUGE_2MB : 0);
        var fd = Libc.memfd_create(name, flags);
        if (fd < 0)
            throw SyscallException.FromLastError("memfd_create");
        var specs = new RegionSpec[layout.Count];
        var made = 0;
        try
        {
            if (Libc.ftruncate(fd, (long)fileSize) != 0)
                throw SyscallException.FromLastError("ftruncate");
            if (Libc.fcntl(fd, Libc.F_ADD_SEALS, Seals) != 0)
                throw SyscallException.FromLastError("fcntl(F_ADD_SEALS)");
            for (; made < specs.Length; made++)
            {
                // Each region gets its own descriptor, as QEMU sends one fd per region even for one memfd.
                var regionFd = made == 0 ? fd : Libc.dup(fd);
                if (regionFd < 0)
                    throw SyscallException.FromLastError("dup");
                specs[made] = new RegionSpec(regionFd, layout[made].FdOffset, layout[made].GuestPhysAddr, layout[made].Size, OwnsFd: true, backing);
            }
        }
        catch
        {
            _ = Libc.close(fd);
            for (var i = 1; i < made; i++)
                _ = Libc.close(specs[i].Fd);
            throw;
        }
        // FromRegions owns every descriptor from here on and closes them all if it fails: closing fd again here
        // would close whatever another thread was given that number in between.
        var memory = FromRegions(specs);
        if (backing == MemoryBacking.Thp)
        {
            try
            {
                foreach (var r in memory._regions)
                    r.AdviseHugePages();
            }
            catch
            {
                memory.Dispose();
                throw;
            }
        }
        return memory;
    }

    /// <summary>
    /// Maps regions given as descriptors (the vhost-user SET_MEM_TABLE seam). Regions must not overlap in
    /// guest-physical space. On failure every mapping made so far is undone and owned fds are closed.
    /// </summary>
    public static GuestMemory FromRegions(IReadOnlyList<RegionSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count == 0)
            throw new ArgumentException("at least one region is needed", nameof(specs));
        var sorted = specs.OrderBy(s => s.GuestPhysAddr).ToArray();
        var mapped = new List<MemoryRegion>(sorted.Length);
        try
        {
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i > 0 && sorted[i].GuestPhysAddr < sorted[i - 1].GuestPhysAddr + sorted[i - 1].Size)
                    throw new ArgumentException(
                        $"regions overlap: 0x{sorted[i - 1].GuestPhysAddr:x}+0x{sorted[i - 1].Size:x} and 0x{sorted[i].GuestPhysAddr:x}", nameof(specs));
                mapped.Add(new MemoryRegion(sorted[i]));
            }
            return new GuestMemory([.. mapped]);
        }
        catch
        {
            foreach (var r in mapped)
                r.Unmap();
            foreach (var s in sorted.Skip(mapped.Count))
                if (s.OwnsFd)
                    _ = Libc.close(s.Fd);
            throw;
        }
    }

    /// <summary>The region holding <paramref name="gpa"/>, or null for a hole or beyond RAM.</summary>
    public MemoryRegion? FindRegion(ulong gpa)
    {
        var hit = _lastHit;
        if (gpa >= hit.GuestPhysAddr && gpa - hit.GuestPhysAddr < hit.Size)
            return hit;
        int lo = 0, hi = _regions.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var r = _regions[mid];
            if (gpa < r.GuestPhysAddr)
                hi = mid - 1;
            else if (gpa - r.GuestPhysAddr >= r.Size)
                lo = mid + 1;
            else
            {
                _lastHit = r;
                return r;
            }
        }
        return null;
    }

    /// <summary>True if every byte of [gpa, gpa + length) is RAM (regions may be adjacent); false on overflow.</summary>
    public bool IsRam(ulong gpa, ulong length)
    {
        if (length == 0 || gpa + length < gpa)
            return false;
        while (length > 0)
        {
            var r = FindRegion(gpa);
            if (r is null)
                return false;
            var piece = Math.Min(length, r.GuestPhysEnd - gpa);
            gpa += piece;
            length -= piece;
        }
        return true;
    }

    /// <summary>
    /// Translates [gpa, gpa + length) into per-region host ranges, split at region edges. Writes nothing and
    /// returns -1 unless the whole range is RAM (length 0, overflow, a hole, or beyond the end all count as
    /// not RAM). <paramref name="pieces"/> needs room for <see cref="Regions"/>.Count entries.
    /// </summary>
    public int Translate(ulong gpa, ulong length, Span<HostRange> pieces)
    {
        if (!IsRam(gpa, length))
            return -1;
        var n = 0;
        while (length > 0)
        {
            var r = FindRegion(gpa)!;
            var piece = Math.Min(length, r.GuestPhysEnd - gpa);
            var offset = gpa - r.GuestPhysAddr;
            if (n == pieces.Length)
                throw new ArgumentException("span too small for the pieces", nameof(pieces));
            pieces[n++] = new HostRange(r, gpa, r.HostAddress + (nint)offset, r.FdOffset + offset, piece);
            gpa += piece;
            length -= piece;
        }
        return n;
    }

    /// <summary>Translates a range that must lie inside one region (ring areas, descriptors' buffers).</summary>
    /// <returns>False for anything not entirely inside one region.</returns>
    public bool TryGetHostAddress(ulong gpa, ulong length, out nint host)
    {
        var r = FindRegion(gpa);
        if (r is null || !r.Contains(gpa, length))
        {
            host = 0;
            return false;
        }
        host = r.HostAddress + (nint)(gpa - r.GuestPhysAddr);
        return true;
    }

    /// <summary>The bytes of [gpa, gpa + length) for a range inside one region; throws otherwise (API use, not guest input).</summary>
    public Span<byte> GetSpan(ulong gpa, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!TryGetHostAddress(gpa, (ulong)length, out var host))
            throw new ArgumentOutOfRangeException(nameof(gpa), $"0x{gpa:x}+0x{length:x} is not inside one RAM region");
        return new Span<byte>((void*)host, length);
    }

    /// <summary>
    /// Gives the host memory behind <paramref name="range"/> back: fallocate(PUNCH_HOLE|KEEP_SIZE) on the
    /// region's file, so every process mapping it (QEMU included) sees zero pages, or MADV_REMOVE where the
    /// file system refuses punch-hole. Length and address must be 4 KiB multiples.
    /// </summary>
    /// <exception cref="SyscallException">Both methods failed; errno and call name inside.</exception>
    public void Release(in HostRange range)
    {
        if (range.Length == 0 || range.Length % PageSize != 0 || range.FdOffset % PageSize != 0)
            throw new ArgumentException("release needs a non-empty 4 KiB aligned range", nameof(range));
        var r = range.Region;
        if (r.ReleaseMethod == ReleaseMethod.PunchHole)
        {
            if (Libc.fallocate(r.Fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, (long)range.FdOffset, (long)range.Length) == 0)
                return;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EOPNOTSUPP)
                throw new SyscallException("fallocate", errno, $"PUNCH_HOLE at fd offset 0x{range.FdOffset:x} length 0x{range.Length:x}");
            r.ReleaseMethod = ReleaseMethod.MadviseRemove;
        }
        if (Libc.madvise(range.HostAddress, (nuint)range.Length, Libc.MADV_REMOVE) != 0)
            throw new SyscallException("madvise", Marshal.GetLastPInvokeError(), $"MADV_REMOVE at 0x{range.GuestPhysAddr:x} length 0x{range.Length:x}");
    }

    /// <summary>
    /// Makes the host allocate every page of [gpa, gpa + length) now (madvise MADV_POPULATE_WRITE, Linux ≥ 5.14),
    /// as if the guest had written it; returns false where the kernel lacks it (the caller then touches pages).
    /// </summary>
    public bool Populate(ulong gpa, ulong length)
    {
        Span<HostRange> pieces = new HostRange[_regions.Length];
        var n = Translate(gpa, length, pieces);
        if (n < 0)
            throw new ArgumentOutOfRangeException(nameof(gpa), $"0x{gpa:x}+0x{length:x} is not guest RAM");
        for (var i = 0; i < n; i++)
        {
            if (Libc.madvise(pieces[i].HostAddress, (nuint)pieces[i].Length, Libc.MADV_POPULATE_WRITE) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINVAL)
                    return false;
                throw new SyscallException("madvise", errno, "MADV_POPULATE_WRITE");
            }
        }
        return true;
    }

    /// <summary>Host bytes actually allocated behind guest RAM: fstat st_blocks × 512, once per distinct file.</summary>
    public long AllocatedBytes()
    {
        var seen = new HashSet<(ulong Dev, ulong Ino)>();
        long total = 0;
        var buf = stackalloc byte[Libc.StatBufferSize];
        foreach (var r in _regions)
        {
            if (Libc.fstat(r.Fd, buf) != 0)
                throw SyscallException.FromLastError("fstat");
            var dev = *(ulong*)(buf + Libc.StatDevOffset);
            var ino = *(ulong*)(buf + Libc.StatInoOffset);
            if (seen.Add((dev, ino)))
                total += *(long*)(buf + Libc.StatBlocksOffset) * 512;
        }
        return total;
    }

    /// <summary>Unmaps every region and closes the descriptors it owns.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var r in _regions)
            r.Unmap();
    }
}
