using Ballast.Virtio;
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
    /// SET_MEM_TABLE (vhost-user.rst): "Sets the memory map regions on the back-end so it can translate the vring
    /// addresses. In the ancillary data there is an array of file descriptors for each memory mapped region. The
    /// size and ordering of the fds matches the number and ordering of memory regions." Each region is mapped from
    /// its own descriptor at its mmap offset (two regions may share one memfd). Running rings are stopped, rebuilt
    /// on the new table, and only then is the old table unmapped.
    /// </summary>
    private RequestResult SetMemTable(ReceivedMessage message)
    {
        if (MemoryTable.TryRead(message.Payload, out var regions) is { } error)
            return RequestResult.Fail(error);
        if (message.Fds.Count != regions.Length)
            return RequestResult.Fail($"{regions.Length} regions came with {message.Fds.Count} descriptors");
        if (FrontendAddressSpace.TryCreate(regions, out var space) is { } spaceError)
            return RequestResult.Fail(spaceError);
        for (var i = 0; i < regions.Length; i++)
        {
            // A mapping past the end of its file faults (SIGBUS) when touched: refuse it up front.
            var fileSize = Descriptors.RegularFileSize(message.Fds.Peek()[i]);
            if (fileSize is null)
                return RequestResult.Fail($"region {i}'s descriptor is not a regular file (memfd, tmpfs or hugetlbfs)");
            if ((ulong)fileSize.Value < regions[i].MmapOffset + regions[i].MemorySize)
                return RequestResult.Fail($"region {i} ends at file offset 0x{regions[i].MmapOffset + regions[i].MemorySize:x}, past the end of its {fileSize.Value}-byte file");
        }

        var specs = new RegionSpec[regions.Length];
        for (var i = 0; i < regions.Length; i++)
            specs[i] = new RegionSpec(message.Fds.Take(i), regions[i].MmapOffset, regions[i].GuestPhysAddr, regions[i].MemorySize, OwnsFd: true);
        GuestMemory memory;
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
        Volatile.Write(ref _guestRamBytes, memory.RamBytes);
        BackendLog.MemoryTable(_logger, regions.Length, memory.RamBytes);
        var result = StartReadyRings();
        old?.Dispose();
        return result;
    }
}
