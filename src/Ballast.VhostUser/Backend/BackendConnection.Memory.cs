using Ballast.Linux;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Backend;

/// <summary>SET_MEM_TABLE: mapping the front-end's guest RAM.</summary>
internal sealed partial class BackendConnection
{
    private GuestMemory? _memory;
    private FrontendAddressSpace? _addressSpace;

    /// <summary>
    /// What a refused region needs, for the error reply and its log line: the seal, where QEMU gives it, and the way
    /// out for guest RAM that cannot be sealed.
    /// </summary>
    private const string SealAdvice = "use -object memory-backend-memfd (seal=on, the default) for guest RAM; file-backed guest RAM "
        + "(memory-backend-file on hugetlbfs or tmpfs) cannot be sealed and needs 'ballast serve --allow-unsealed-memory', which trusts "
        + "the front-end never to truncate it";

    /// <summary>
    /// SET_MEM_TABLE (vhost-user.rst): "Sets the memory map regions on the back-end so it can translate the vring
    /// addresses. In the ancillary data there is an array of file descriptors for each memory mapped region. The
    /// size and ordering of the fds matches the number and ordering of memory regions." Each region is mapped from
    /// its own descriptor at its mmap offset (two regions may share one memfd). Running rings are stopped, rebuilt
    /// on the new table, and only then is the old table unmapped.
    /// </summary>
    /// <remarks>
    /// The mappings are MAP_SHARED: a front-end that shrinks a file (ftruncate) after this request leaves pages under
    /// our mapping with nothing behind them, and the next ring or buffer access through them raises SIGBUS, which ends
    /// the .NET process. So every region's file must be sealed against shrinking (F_SEAL_SHRINK), as QEMU's
    /// <c>memory-backend-memfd</c> seals it by default, unless <see cref="_allowUnsealedMemory"/> says the front-end
    /// is trusted. The seals are read before the size: a seal is never removed, so the size seen afterwards is a
    /// lower bound for as long as the file lives.
    /// </remarks>
    private RequestResult SetMemTable(ReceivedMessage message)
    {
        if (MemoryTable.TryRead(message.Payload, out var regions) is { } error)
            return RequestResult.Fail(error);
        if (message.Fds.Count != regions.Length)
            return RequestResult.Fail($"{regions.Length} regions came with {message.Fds.Count} descriptors");
        var fds = new int[regions.Length];
        for (var i = 0; i < fds.Length; i++)
            fds[i] = message.Fds.Take(i);
        return MapMemoryTable(regions, fds, startRings: true);
    }

    /// <summary>
    /// Checks and maps <paramref name="regions"/> from <paramref name="fds"/> (owned: every one is closed on failure),
    /// stops the running rings, makes the new table current, restarts the rings (unless a resumed session starts them
    /// itself) and unmaps the old table.
    /// </summary>
    private RequestResult MapMemoryTable(MemoryRegionDescription[] regions, int[] fds, bool startRings)
    {
        var owned = true;
        try
        {
            if (FrontendAddressSpace.TryCreate(regions, out var space) is { } spaceError)
                return RequestResult.Fail(spaceError);
            for (var i = 0; i < regions.Length; i++)
            {
                var fd = fds[i];
                if (Descriptors.RegularFileSize(fd) is null)
                    return RequestResult.Fail($"region {i}'s descriptor is not a regular file (memfd, tmpfs or hugetlbfs)");
                if (!Descriptors.IsSealedAgainstShrinking(fd))
                {
                    if (!_allowUnsealedMemory)
                    {
                        var why = Descriptors.Seals(fd) is null ? " and its file system cannot seal it" : "";
                        return RequestResult.Fail($"region {i}'s descriptor is not sealed against shrinking (F_SEAL_SHRINK){why}: a front-end "
                            + $"that truncated it would fault the daemon (SIGBUS) on its next access; {SealAdvice}");
                    }
                    BackendLog.UnsealedRegionAccepted(_logger, i);
                }
                // A mapping past the end of its file faults (SIGBUS) when touched: refuse it up front. Read after the
                // seals, this size holds for as long as the file lives (a sealed file never shrinks).
                var fileSize = Descriptors.RegularFileSize(fd) ?? 0;
                if ((ulong)fileSize < regions[i].MmapOffset + regions[i].MemorySize)
                    return RequestResult.Fail($"region {i} ends at file offset 0x{regions[i].MmapOffset + regions[i].MemorySize:x}, past the end of its {fileSize}-byte file");
            }

            var specs = new RegionSpec[regions.Length];
            for (var i = 0; i < regions.Length; i++)
                specs[i] = new RegionSpec(fds[i], regions[i].MmapOffset, regions[i].GuestPhysAddr, regions[i].MemorySize, OwnsFd: true, AdvisedBacking(fds[i]));
            GuestMemory memory;
            owned = false;
            try
            {
                // Validates sizes, alignment and guest-physical overlap; closes every descriptor on failure.
                memory = GuestMemory.FromRegions(specs);
            }
            catch (Exception e) when (e is ArgumentException or SyscallException)
            {
                return RequestResult.Fail(e.Message);
            }

            foreach (var ring in _rings)
                StopRing(ring);
            _device.Memory = memory;
            var old = _memory;
            _memory = memory;
            _addressSpace = space;
            _table = regions;
            Volatile.Write(ref _guestRamBytes, memory.RamBytes);
            BackendLog.MemoryTable(_logger, regions.Length, memory.RamBytes);
            for (var i = 0; i < memory.Regions.Count; i++)
            {
                var region = memory.Regions[i];
                BackendLog.MemoryRegionBacking(_logger, i, region.GuestPhysAddr, region.Size, BackingName(region.Backing), region.HostPageSize);
            }
            var result = startRings ? StartReadyRings() : RequestResult.Ok;
            old?.Dispose();
            return result;
        }
        finally
        {
            if (owned)
            {
                foreach (var fd in fds)
                    _ = Ballast.Linux.Interop.Libc.close(fd);
            }
        }
    }

    /// <summary>How the log names a backing: 4 KiB pages, transparent huge pages or hugetlb.</summary>
    private static string BackingName(MemoryBacking backing) => backing switch
    {
        MemoryBacking.Thp => "transparent huge pages",
        MemoryBacking.Hugetlb => "hugetlb",
        _ => "4 KiB pages",
    };

    /// <summary>
    /// Under THP's <c>shmem_enabled=advise</c> a shmem file's block size says 4 KiB whether or not it gets huge pages: the
    /// front-end's mapping decides. THP if the front-end maps the file THP-eligible (or its mappings cannot be read:
    /// QEMU, the usual front-end, advises MADV_HUGEPAGE on all guest RAM), 4 KiB if it maps it and not eligible; null
    /// (let the file say) in every other case.
    /// </summary>
    private MemoryBacking? AdvisedBacking(int fd)
    {
        if (HugePageSettings.ShmemThpMode() != "advise")
            return null;
        FileHostPages probe;
        try
        {
            probe = FileHostPages.Probe(fd);
        }
        catch (SyscallException)
        {
            return null;
        }
        if (!probe.Shmem || probe.BlockSize > GuestMemory.PageSize)
            return null;
        var pid = _channel.Socket.PeerCredentials(out _)?.ProcessId;
        var huge = pid is > 0 ? ThpEligibility.MapsHuge(pid.Value, probe.Inode) : null;
        return huge == false ? MemoryBacking.Pages4K : MemoryBacking.Thp;
    }
}
