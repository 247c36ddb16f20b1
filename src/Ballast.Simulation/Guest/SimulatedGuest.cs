using Ballast.Bitmap;
using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Guest;

/// <summary>
/// A guest without a CPU: its physical memory is a memfd laid out like QEMU's (RAM at 0–0xf0000 and from
/// 1 MiB), managed by a <see cref="BuddyAllocator"/>, with a profile of memory in use. The balloon driver runs
/// on it in-process; the device sees the very same bytes through the same file.
/// </summary>
/// <remarks>
/// Every page the profile keeps in use, and (unless <see cref="Clean"/>) every free page, holds a known
/// 8-byte pattern at its start, so <see cref="CheckIntegrity"/> can prove that nothing outside the balloon was
/// released or overwritten. Pages the guest "kernel" hands the driver for its rings are excluded.
/// Not thread-safe: the driver's thread owns the allocator.
/// </remarks>
public sealed unsafe class SimulatedGuest : IDisposable
{
    private const int PageShift = GuestPage.Shift;
    private const ulong PatternSeed = 0x9E37_79B9_7F4A_7C15;

    private readonly XBitmap _driverOwned = new();
    private readonly ulong _kernelEnd;      // frames [first usable, _kernelEnd) are the profile's "kernel"
    private readonly HugePageCount _hostAtCreate;
    private ulong _nextDriverPfn;           // bump pointer into the top of the kernel area

    private SimulatedGuest(GuestMemory memory, GuestProfile profile, bool clean, ulong inUseBytes, int seed, HugePageCount hostAtCreate)
    {
        Memory = memory;
        _hostAtCreate = hostAtCreate;
        Profile = profile;
        Clean = clean;
        var ranges = memory.Regions.Select(r => (r.GuestPhysAddr >> PageShift, r.Size >> PageShift)).ToList();
        Allocator = new BuddyAllocator(ranges);
        _kernelEnd = inUseBytes >> PageShift;
        Allocator.Reserve(0, _kernelEnd);
        _nextDriverPfn = _kernelEnd;
        if (profile == GuestProfile.Fragmented)
            Allocator.ReserveRandom(0.25, seed);
        InUseFrames = Allocator.AllocatedFrames;
    }

    /// <summary>
    /// Creates a guest of <paramref name="ramBytes"/> (a multiple of 4 MiB) with <paramref name="profile"/>.
    /// <paramref name="inUseBytes"/> is the "kernel and apps" part (default: 1 GiB, at most an eighth of RAM).
    /// Unless <paramref name="clean"/>, all memory is written once (the free part "used once and freed"), so the
    /// host really holds it, and pattern-stamped. <paramref name="backing"/> is the host pages under its RAM
    /// (<see cref="GuestMemory.CreateMemfd(ulong, string, MemoryBacking)"/>; the host must be able to give them).
    /// </summary>
    /// <exception cref="InvalidOperationException">The host cannot give <paramref name="backing"/> (the message names the setting).</exception>
    public static SimulatedGuest Create(ulong ramBytes, GuestProfile profile = GuestProfile.Idle, bool clean = false,
        ulong? inUseBytes = null, int seed = 1, MemoryBacking backing = MemoryBacking.Pages4K)
    {
        const ulong fourMiB = 4UL << 20;
        if (ramBytes < 32UL << 20 || ramBytes % fourMiB != 0)
            throw new ArgumentOutOfRangeException(nameof(ramBytes), ramBytes, "guest memory must be a multiple of 4 MiB, at least 32 MiB");
        var inUse = inUseBytes ?? Math.Min(1UL << 30, ramBytes / 8);
        if (inUse < fourMiB || inUse % fourMiB != 0 || inUse >= ramBytes)
            throw new ArgumentOutOfRangeException(nameof(inUseBytes), inUse, "memory in use must be a multiple of 4 MiB below guest memory");
        var hostAtCreate = HugePageCount.Now();
        var memory = GuestMemory.CreateMemfd(ramBytes, "ballast-sim-guest", backing);
        try
        {
            var guest = new SimulatedGuest(memory, profile, clean, inUse, seed, hostAtCreate);
            guest.StampPatterns();
            return guest;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Guest-physical memory (shared with the device).</summary>
    public GuestMemory Memory { get; }

    /// <summary>The guest's page allocator.</summary>
    public BuddyAllocator Allocator { get; }

    /// <summary>The profile it was built with.</summary>
    public GuestProfile Profile { get; }

    /// <summary>True if the free memory was never touched (a freshly booted guest).</summary>
    public bool Clean { get; }

    /// <summary>Frames in use by the profile.</summary>
    public ulong InUseFrames { get; }

    /// <summary>Host bytes behind guest memory now.</summary>
    public long HostBytes => Memory.AllocatedBytes();

    /// <summary>What backs guest RAM (of its main region, from 1 MiB up).</summary>
    public MemoryBacking Backing => Memory.Regions[^1].Backing;

    /// <summary>Bytes of one host page under guest RAM (of its main region, from 1 MiB up).</summary>
    public ulong HostPageSize => Memory.Regions[^1].HostPageSize;

    /// <summary>
    /// Where <see cref="HugePageBytes"/> comes from: <c>HugePages_Free</c> for hugetlb RAM, <c>ShmemHugePages</c>
    /// otherwise (both in /proc/meminfo).
    /// </summary>
    public string HugePageSource => Backing == MemoryBacking.Hugetlb ? "HugePages_Free" : "ShmemHugePages";

    /// <summary>
    /// Evidence of what backs guest RAM, host-wide: bytes of huge pages taken since this guest was made — hugetlb: how
    /// far <c>HugePages_Free</c> fell; otherwise how far <c>ShmemHugePages</c> (shared memory in transparent huge pages)
    /// grew. Host-wide counters: another process using huge pages at the same time shows up here too.
    /// </summary>
    public long HugePageBytes => HugePageCount.Now().InUseSince(_hostAtCreate, Backing);

    /// <summary>
    /// Hands the driver 2^<paramref name="order"/> contiguous frames of "kernel" memory (for rings and buffers),
    /// taken from the profile's in-use area so the balloon's free memory is untouched. Returns the first PFN.
    /// </summary>
    public ulong AllocKernelPages(int order)
    {
        var count = 1UL << order;
        var pfn = (_nextDriverPfn - count) & ~(count - 1);
        var first = Memory.Regions[0].GuestPhysAddr >> PageShift;
        if (pfn < first + 1 || pfn + count > _nextDriverPfn)
            throw new InvalidOperationException("the guest's kernel area is out of driver pages");
        for (var p = pfn; p < pfn + count; p++)
            if (Memory.FindRegion(p << PageShift) is null)
                throw new InvalidOperationException("the guest's kernel area is out of driver pages");
        _nextDriverPfn = pfn;
        _driverOwned.SetRange(pfn, count);
        Memory.GetSpan(pfn << PageShift, (int)(count << PageShift)).Clear();
        return pfn;
    }

    /// <summary>
    /// A workload starts: allocates up to <paramref name="pages"/> 4 KiB pages one at a time and writes each (its
    /// pattern), so the host backs them whether or not the guest is <see cref="Clean"/>. Returns their frames.
    /// </summary>
    public ulong[] StartWorkload(ulong pages)
    {
        var pfns = new ulong[Math.Min(pages, Allocator.FreeFrames)];
        var got = 0;
        while (got < pfns.Length && Allocator.TryAlloc(0, out var pfn))
        {
            Stamp(pfn);
            pfns[got++] = pfn;
        }
        return got == pfns.Length ? pfns : pfns[..got];
    }

    /// <summary>The workload exits: every frame of <paramref name="pfns"/> goes back to the allocator.</summary>
    public void EndWorkload(ReadOnlySpan<ulong> pfns)
    {
        foreach (var pfn in pfns)
            Allocator.Free(pfn, 0);
    }

    /// <summary>The frames of every free block reported to the host: their contents may be gone (read as zeros).</summary>
    public XBitmap ReportedFrames()
    {
        var frames = new XBitmap();
        foreach (var (pfn, order) in Allocator.ReportedBlockList())
            frames.SetRange(pfn, 1UL << order);
        return frames;
    }

    /// <summary>Writes the page's pattern, as a guest program would have.</summary>
    private void Stamp(ulong pfn) => *(ulong*)PageAddress(pfn) = Pattern(pfn);

    private nint PageAddress(ulong pfn)
    {
        Memory.TryGetHostAddress(pfn << PageShift, 8, out var host);
        return host;
    }

    private static ulong Pattern(ulong pfn) => (pfn * PatternSeed) | 1;

    private void StampPatterns()
    {
        foreach (var region in Memory.Regions)
        {
            var first = region.GuestPhysAddr >> PageShift;
            var end = region.GuestPhysEnd >> PageShift;
            if (!Clean)
                Memory.Populate(region.GuestPhysAddr, region.Size);
            for (var pfn = first; pfn < end; pfn++)
                if (!Clean || Allocator.IsAllocated(pfn))
                    Stamp(pfn);
        }
    }

    /// <summary>
    /// Checks every page that must have kept its contents: pages in use by the profile and, for a dirty guest,
    /// free pages — all except <paramref name="ballooned"/> (frames that were in the balloon at any time, or were
    /// reported: <see cref="ReportedFrames"/>) and the
    /// driver's own pages. Reads only pages the host already holds, so the check itself allocates nothing.
    /// </summary>
    public IntegrityReport CheckIntegrity(XBitmap ballooned)
    {
        ArgumentNullException.ThrowIfNull(ballooned);
        ulong checkedPages = 0, corrupt = 0;
        ulong? firstCorrupt = null;
        foreach (var region in Memory.Regions)
        {
            var first = region.GuestPhysAddr >> PageShift;
            var end = region.GuestPhysEnd >> PageShift;
            for (var pfn = first; pfn < end; pfn++)
            {
                if (ballooned.Test(pfn) || _driverOwned.Test(pfn))
                    continue;
                if (Clean && !Allocator.IsAllocated(pfn))
                    continue;
                checkedPages++;
                if (*(ulong*)PageAddress(pfn) != Pattern(pfn))
                {
                    corrupt++;
                    firstCorrupt ??= pfn;
                }
            }
        }
        return new IntegrityReport(checkedPages, corrupt, firstCorrupt);
    }

    /// <summary>Unmaps and closes guest memory.</summary>
    public void Dispose() => Memory.Dispose();
}

