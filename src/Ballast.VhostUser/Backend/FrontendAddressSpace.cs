using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// The front-end's view of guest RAM from SET_MEM_TABLE: where each region sits in the front-end's own address
/// space (userspace_addr). Ring addresses in SET_VRING_ADDR are such user addresses (vhost-user.rst "Memory
/// access": "User addresses map to the vhost memory region containing that user address"); this translates them
/// to guest-physical addresses for <see cref="Ballast.Virtio.Memory.GuestMemory"/>.
/// </summary>
internal sealed class FrontendAddressSpace
{
    private readonly MemoryRegionDescription[] _regions;

    /// <summary>Builds the map; returns null and the map, or why the regions are unusable (user ranges that
    /// overlap or wrap, guest ranges that wrap). Guest-physical overlap is rejected by GuestMemory.</summary>
    public static string? TryCreate(IReadOnlyList<MemoryRegionDescription> regions, out FrontendAddressSpace space)
    {
        var sorted = regions.OrderBy(r => r.UserspaceAddr).ToArray();
        space = new FrontendAddressSpace(sorted);
        for (var i = 0; i < sorted.Length; i++)
        {
            var r = sorted[i];
            if (r.MemorySize == 0)
                return $"region at guest 0x{r.GuestPhysAddr:x} has size 0";
            if (r.UserspaceAddr + r.MemorySize < r.UserspaceAddr)
                return $"region at user address 0x{r.UserspaceAddr:x} + 0x{r.MemorySize:x} wraps";
            if (r.GuestPhysAddr + r.MemorySize < r.GuestPhysAddr)
                return $"region at guest 0x{r.GuestPhysAddr:x} + 0x{r.MemorySize:x} wraps";
            if (r.MmapOffset + r.MemorySize < r.MmapOffset)
                return $"region at guest 0x{r.GuestPhysAddr:x}: mmap offset 0x{r.MmapOffset:x} + size wraps";
            if (i > 0 && r.UserspaceAddr < sorted[i - 1].UserspaceAddr + sorted[i - 1].MemorySize)
                return $"regions overlap in the front-end's address space at user address 0x{r.UserspaceAddr:x}";
        }
        return null;
    }

    private FrontendAddressSpace(MemoryRegionDescription[] regions) => _regions = regions;

    /// <summary>
    /// Translates the user range [<paramref name="userAddr"/>, + <paramref name="length"/>) to a guest-physical
    /// address; false unless the whole range lies in one region.
    /// </summary>
    public bool TryTranslate(ulong userAddr, ulong length, out ulong guestPhysAddr)
    {
        foreach (var r in _regions)
        {
            if (userAddr >= r.UserspaceAddr && userAddr - r.UserspaceAddr < r.MemorySize
                && length <= r.MemorySize - (userAddr - r.UserspaceAddr))
            {
                guestPhysAddr = r.GuestPhysAddr + (userAddr - r.UserspaceAddr);
                return true;
            }
        }
        guestPhysAddr = 0;
        return false;
    }
}
