using Ballast.Virtio.Memory;

namespace Ballast.Balloon.Device;

/// <summary>
/// Huge-page guest RAM (issue #14): on a region whose host page is larger than the balloon's 4 KiB frame, the device
/// releases whole host pages, each once every frame in it is ballooned.
/// </summary>
/// <remarks>
/// <para>
/// Why: on hugetlbfs a punch smaller than a huge page frees nothing (the kernel only zeroes the range), and on shmem
/// transparent huge pages a partial punch splits the huge page. The ballooned-frame bitmap already knows every frame
/// the guest gave up, in whatever order and buffer the frames came, so a host page is released exactly when its last
/// frame arrives — QEMU instead remembers one partially ballooned host page and forgets it at the end of each buffer.
/// </para>
/// <para>
/// A frame the guest deflates inside a released host page makes that page "not released" again: the guest may write
/// it, and the kernel backs it with a new huge page. Nothing is done at deflate; when the frame is inflated again the
/// page is complete again and released again. A host page that straddles a region's edge is never released (its
/// other part is not this region's to give). Whether a region is treated this way: <see cref="WholeHostPages"/>.
/// </para>
/// </remarks>
public sealed partial class BalloonDevice
{
    // During one FlushPending: host pages that start below this guest address were released by an earlier run of the
    // same flush (runs ascend; two runs separated by frames ballooned earlier can both complete the same host page).
    private ulong _hostPageMark;

    /// <summary>True if releases on <paramref name="region"/> go by whole host pages.</summary>
    private bool WholeHostPages(MemoryRegion region) =>
        region.HostPageSize > GuestMemory.PageSize
        && (region.Backing == MemoryBacking.Hugetlb || Options.Granularity == ReleaseGranularity.HostPage);

    /// <summary>
    /// Releases the host memory behind <paramref name="piece"/>, frames the bitmap holds as ballooned: the piece itself
    /// on 4 KiB memory; on huge pages every host page it overlaps whose frames are all ballooned, consecutive ones in
    /// one call. Returns the bytes released (or queued, when <paramref name="deferred"/>).
    /// </summary>
    private long ReleasePiece(in HostRange piece, bool deferred)
    {
        var region = piece.Region;
        if (!WholeHostPages(region))
            return Emit(piece, deferred);
        var size = region.HostPageSize;
        var frames = size >> PageShift;
        var first = piece.FdOffset / size * size;
        var end = (piece.FdOffset + piece.Length + size - 1) / size * size;
        ulong start = 0, length = 0;
        long bytes = 0;
        for (var offset = first; offset < end; offset += size)
        {
            if (!region.HoldsHostPage(offset))
                continue;
            var gpa = region.HostPageGuestAddress(offset);
            var pfn = gpa >> PageShift;
            if (gpa < _hostPageMark || _ballooned.FindZero(pfn, pfn + frames) != pfn + frames)
                continue;
            if (length > 0 && start + length == offset)
            {
                length += size;
                continue;
            }
            if (length > 0)
                bytes += EmitFileRange(region, start, length, deferred);
            start = offset;
            length = size;
        }
        if (length > 0)
            bytes += EmitFileRange(region, start, length, deferred);
        return bytes;
    }

    private long EmitFileRange(MemoryRegion region, ulong fdOffset, ulong length, bool deferred)
    {
        var inRegion = fdOffset - region.FdOffset;
        var gpa = region.GuestPhysAddr + inRegion;
        if (_flushing)
            _hostPageMark = gpa + length;
        return Emit(new HostRange(region, gpa, region.HostAddress + (nint)inRegion, fdOffset, length), deferred);
    }

    private long Emit(in HostRange range, bool deferred)
    {
        if (deferred)
        {
            _releaser.Enqueue(range);
            return (long)range.Length;
        }
        return Release(range) ? (long)range.Length : 0;
    }

    private bool _flushing;

    /// <summary>
    /// The backing with the largest host page among guest RAM's regions and that page's size, or (4 KiB, 4096) with no
    /// memory; what the API and metrics show (regions of one guest share one backend in practice).
    /// </summary>
    public (MemoryBacking Backing, ulong HostPageSize) HostPages
    {
        get
        {
            var memory = _memory;
            var best = (Backing: MemoryBacking.Pages4K, HostPageSize: GuestMemory.PageSize);
            if (memory is null)
                return best;
            foreach (var region in memory.Regions)
            {
                if (region.HostPageSize > best.HostPageSize)
                    best = (region.Backing, region.HostPageSize);
            }
            return best;
        }
    }

    /// <summary>
    /// Bytes of ballooned frames the host still holds because their host page is not complete (some frame of it is
    /// not ballooned, or it straddles a region's edge); 0 on 4 KiB memory. A walk of the ballooned runs: for the API
    /// and metrics, not the data path.
    /// </summary>
    public long HeldInPartialHostPagesBytes
    {
        get
        {
            lock (_lock)
            {
                var memory = _memory;
                if (memory is null)
                    return 0;
                ulong held = 0;
                foreach (var region in memory.Regions)
                {
                    if (!WholeHostPages(region))
                        continue;
                    var size = region.HostPageSize;
                    var frames = size >> PageShift;
                    foreach (var run in _ballooned.Runs(region.GuestPhysAddr >> PageShift, region.GuestPhysEnd >> PageShift))
                    {
                        // Frames of the run in host pages it does not cover whole (at its two ends), unless the bitmap
                        // completes them from outside the run, which a maximal run excludes.
                        for (var pfn = run.Start; pfn < run.Start + run.Length;)
                        {
                            var fdOffset = region.FdOffset + ((pfn << PageShift) - region.GuestPhysAddr);
                            var pageStart = fdOffset / size * size;
                            var pageFirstPfn = pfn - ((fdOffset - pageStart) >> PageShift);
                            var pageEndPfn = pageFirstPfn + frames;
                            var inRun = Math.Min(pageEndPfn, run.Start + run.Length) - pfn;
                            if (!region.HoldsHostPage(pageStart) || pageFirstPfn < run.Start || pageEndPfn > run.Start + run.Length)
                                held += inRun;
                            pfn += inRun;
                        }
                    }
                }
                return (long)(held << PageShift);
            }
        }
    }
}
