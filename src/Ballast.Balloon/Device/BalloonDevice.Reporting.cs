using System.Diagnostics;
using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Balloon.Device;

/// <summary>
/// Free page reporting, VIRTIO 1.2 §5.5.6.6, and page poison, §5.5.6.5 (issue #13). With
/// VIRTIO_BALLOON_F_PAGE_REPORTING the guest lends free pages: it adds one buffer per report to reporting_vq (Linux
/// mm/page_reporting.c: a scatterlist of up to 32 device-writable entries, each a free block of pageblock order, 2 MiB
/// on x86) and takes the pages back as soon as the buffer is used ("The driver MUST NOT use the reported pages until
/// the device has acknowledged the reporting request").
/// </summary>
/// <remarks>
/// <para>
/// So each valid block is released synchronously, in one step per region it lies in, and the buffer is returned only
/// after every block of it was: never through the deferred-release worker, even with
/// <see cref="BalloonDeviceOptions.DeferRelease"/> (the guest may reuse the pages the moment it has the buffer back).
/// The used length is 0 (nothing was written for the driver; Linux ignores it).
/// </para>
/// <para>
/// Reported frames are not ballooned: they never enter the ballooned-frame bitmap, the pending runs or the crash
/// record, and the balloon's size does not change. A frame can be reported, reused, and inflated later like any
/// other. On huge-page memory only the host pages lying wholly inside a block are released (on hugetlb always, on THP
/// with <see cref="ReleaseGranularity.HostPage"/>; <see cref="ReleaseGranularity.Page4K"/> punches the block as it
/// is): a report never releases a partial hugetlb page, never looks at the bitmap, and leaves the host-page accounting
/// of ballooned frames as it was. After a worker restart an unreturned report is popped again and released again,
/// which is harmless: the guest still holds those pages isolated until the buffer comes back (no replay window needed).
/// </para>
/// <para>
/// Page poison: "If the VIRTIO_BALLOON_F_PAGE_POISON feature has been negotiated, the device MUST NOT modify the
/// content of a reported page to a value other than poison_val" (§5.5.6.6.2). A released page reads back as zeros,
/// so with PAGE_POISON negotiated and poison_val ≠ 0 reported blocks are skipped (counted in
/// <see cref="BalloonCounters.ReportSkippedPoisonBytes"/>, logged once); QEMU skips them too. Writing poison_val
/// into released pages instead would allocate them again. poison_val 0 (Linux with init_on_free) releases as usual.
/// Inflated pages are released whatever poison_val is: the driver "MUST initialize the deflated pages with
/// poison_val when they are reused" (§5.5.6.5), so a ballooned page may read zeros.
/// </para>
/// </remarks>
public sealed partial class BalloonDevice
{
    private bool _poisonLogged;
    private bool _readableLogged;

    /// <summary>poison_val as the driver last wrote it (VIRTIO 1.2 §5.5.4); 0 before and after a reset.</summary>
    public uint PoisonValue => Volatile.Read(ref _poisonValue);

    /// <summary>
    /// True if reported pages must keep their contents: PAGE_POISON negotiated and poison_val ≠ 0 (a released page
    /// would read back as zeros).
    /// </summary>
    public bool ReportsKeptForPoison
    {
        get
        {
            lock (_lock)
                return KeepReportedPages;
        }
    }

    private bool KeepReportedPages => _poisonValue != 0 && VirtioFeatures.Has(_negotiated, BalloonFeatures.PagePoison);

    /// <summary>Test hook: called on the device thread just before a reporting buffer is returned, with its head.</summary>
    internal Action<ushort>? BeforeReportReturned { get; set; }

    /// <summary>Stores poison_val (under the lock) and mirrors it into the crash record.</summary>
    private void SetPoisonValue(uint value)
    {
        Volatile.Write(ref _poisonValue, value);
        if (_record is not null)
            _record.PoisonValue = value;
        _poisonLogged = false;
        BalloonLog.PoisonValueSet(_logger, value);
    }

    /// <summary>
    /// A chain taken from reporting_vq: every valid block released now (see the remarks), then its head is given back.
    /// A rejected chain is returned with nothing released. Driven by <see cref="ProcessChainByChain"/>.
    /// </summary>
    private ushort? TakeReport(PopResult result, in Chain chain, ReadOnlySpan<Descriptor> descriptors)
    {
        Counters.Reports++;
        if (result == PopResult.BadChain)
        {
            if (GuestError(BalloonError.BadChain, out var nth))
                BalloonLog.BadChain(_logger, BalloonError.BadChain, nth, "reporting", chain.Head, chain.Error);
            return chain.Head;
        }
        var start = Stopwatch.GetTimestamp();
        _reportPieces.Clear();
        for (var i = 0; i < chain.Count; i++)
            CollectReported(descriptors[i]);
        ReleaseReportedRuns();
        Volatile.Write(ref Counters.ReportTicks, Counters.ReportTicks + (Stopwatch.GetTimestamp() - start));
        BeforeReportReturned?.Invoke(chain.Head);
        return chain.Head;
    }

    private readonly List<HostRange> _reportPieces = [];

    /// <summary>
    /// One reported block: checked like an SG range (<see cref="CheckRange"/>; either direction is accepted, a
    /// driver-readable one counted), then translated; its pieces (one per region) wait in <see cref="_reportPieces"/>
    /// for <see cref="ReleaseReportedRuns"/>.
    /// </summary>
    private void CollectReported(in Descriptor d)
    {
        var start = Stopwatch.GetTimestamp();
        var fault = CheckRange(d);
        Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
        if (fault != RangeFault.None)
        {
            var kind = fault switch
            {
                RangeFault.ZeroLength => BalloonError.ReportZeroLength,
                RangeFault.OutsideRam => BalloonError.ReportOutsideRam,
                _ => BalloonError.ReportUnaligned,   // too long is unaligned too
            };
            if (GuestError(kind, out var nth))
                BalloonLog.BadReportEntry(_logger, kind, nth, d.Address, d.Length);
            return;
        }
        Counters.ReportedEntries++;
        Counters.ReportedBytes += d.Length;
        if (!d.IsWriteOnly)
        {
            Counters.ReportedReadableEntries++;
            if (!_readableLogged)
            {
                _readableLogged = true;
                BalloonLog.ReportEntriesReadable(_logger);
            }
        }
        if (KeepReportedPages)
        {
            Counters.ReportSkippedPoisonBytes += d.Length;
            if (!_poisonLogged)
            {
                _poisonLogged = true;
                BalloonLog.ReportsKeptForPoison(_logger, _poisonValue);
            }
            return;
        }
        start = Stopwatch.GetTimestamp();
        var n = _memory!.Translate(d.Address, d.Length, _pieces);   // ≥ 1: the block is RAM
        Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
        for (var i = 0; i < n; i++)
            _reportPieces.Add(_pieces[i]);
    }

    /// <summary>
    /// Releases one buffer's blocks, synchronously (the buffer goes back only after): sorted by guest-physical address
    /// and merged where they touch or overlap in one region, so a run of adjacent blocks — Linux takes them off a free
    /// list that is mostly in address order, 32 at a time — is one release call instead of one per block (each
    /// punch-hole call costs its own unmapping and TLB flush), and a block reported twice in a buffer is released and
    /// counted once.
    /// </summary>
    private void ReleaseReportedRuns()
    {
        if (_reportPieces.Count == 0)
            return;
        _reportPieces.Sort(static (a, b) => a.GuestPhysAddr.CompareTo(b.GuestPhysAddr));
        long released = 0;
        var run = _reportPieces[0];
        for (var i = 1; i < _reportPieces.Count; i++)
        {
            var next = _reportPieces[i];
            var runEnd = run.GuestPhysAddr + run.Length;
            if (ReferenceEquals(next.Region, run.Region) && next.GuestPhysAddr <= runEnd)
            {
                // Same region, touching or overlapping: one file range (a region maps guest-physical to file offsets linearly).
                var end = Math.Max(runEnd, next.GuestPhysAddr + next.Length);
                run = run with { Length = end - run.GuestPhysAddr };
                continue;
            }
            released += ReleaseReportedPiece(run);
            run = next;
        }
        released += ReleaseReportedPiece(run);
        Counters.ReportReleasedBytes += released;
    }

    /// <summary>
    /// Releases <paramref name="piece"/> of a reported block: all of it on 4 KiB memory (and on THP with 4k
    /// granularity); on huge pages only the host pages lying wholly inside it, consecutive ones in one call. Returns
    /// the bytes released.
    /// </summary>
    private long ReleaseReportedPiece(in HostRange piece)
    {
        var region = piece.Region;
        if (!WholeHostPages(region))
            return Emit(piece, deferred: false);
        var size = region.HostPageSize;
        var first = (piece.FdOffset + size - 1) / size * size;
        var end = (piece.FdOffset + piece.Length) / size * size;
        if (end <= first || !region.HoldsHostPage(first) || !region.HoldsHostPage(end - size))
            return 0;
        return EmitFileRange(region, first, end - first, deferred: false);
    }
}
