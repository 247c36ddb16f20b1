using Ballast.Linux;
using System.Diagnostics;
using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Balloon.Device;

public sealed partial class BalloonDevice
{
    private const int PageShift = GuestPage.Shift;

    /// <summary>Test hook: called on the device thread with (first PFN, count, inflate) for every valid PFN or range received.</summary>
    internal Action<ulong, ulong, bool>? Observer { get; set; }

    /// <summary>Test hook: called on the release worker before each deferred release.</summary>
    internal Action? BeforeDeferredRelease { get; set; }

    /// <summary>Test hook: called with each range just before its release system call (device thread or release worker).</summary>
    internal Action<HostRange>? BeforeRelease { get; set; }

    /// <summary>
    /// Drains the inflate or deflate queue in batches of at most one queue's worth of chains: record every
    /// frame (in the bitmap and, if attached, the crash record), release the batch's new frames run by run, then
    /// return all buffers. The first chains of a replay window (<see cref="SetReplayWindow"/>) are replays: their
    /// frames already handled count as <see cref="BalloonCounters.ReplayedPages"/>, not as errors. Stops once at least
    /// <paramref name="maxChains"/> chains were taken (whole batches) with more still available, leaving
    /// notifications disabled (<see cref="QueueProgress.MoreAvailable"/>). Returns whether the driver wants a
    /// used-buffer notification; the caller sends it once the lock is dropped.
    /// </summary>
    private bool ProcessPages(DeviceQueue queue, bool inflate, int maxChains, out QueueProgress progress)
    {
        var sg = SgNegotiated;
        var descriptors = _descriptors.AsSpan(0, queue.Size);
        var notify = false;
        var taken = 0;
        while (true)
        {
            queue.DisableNotifications();
            var n = 0;
            while (n < queue.Size)
            {
                var result = queue.TryPop(descriptors, out var chain);
                if (result is PopResult.Empty or PopResult.Broken)
                    break;
                _heads[n++] = chain.Head;
                var replay = TakeReplay(inflate ? BalloonQueue.Inflate : BalloonQueue.Deflate);
                if (result == PopResult.BadChain)
                {
                    if (GuestError(BalloonError.BadChain, out var nth))
                        BalloonLog.BadChain(_logger, BalloonError.BadChain, nth, inflate ? "inflate" : "deflate", chain.Head, chain.Error);
                    continue;
                }
                Counters.Buffers++;
                for (var i = 0; i < chain.Count; i++)
                {
                    if (sg)
                        RecordRange(descriptors[i], inflate, replay);
                    else
                        RecordPfnArray(descriptors[i], inflate, replay);
                }
            }
            if (inflate)
                FlushPending();
            else
                _releaser.WaitIdle();
            // The pages of every buffer are handled before any buffer is returned: with MUST_TELL_HOST the
            // guest may reuse deflated pages as soon as it sees the buffer used (VIRTIO 1.2 §5.5.6.1), so a
            // deflate waits for every deferred release (a deflated frame may have one queued). The crash record
            // was updated as each frame was: a deflated frame is out of it before the guest sees its buffer used
            // (PushUsed publishes the used index with release semantics, after every store above).
            for (var i = 0; i < n; i++)
                queue.PushUsed(_heads[i], 0);
            if (n > 0 && queue.NeedsNotification())
            {
                Counters.Interrupts++;
                notify = true;
            }
            taken += n;
            if (queue.IsBroken)
            {
                progress = QueueProgress.Broken;
                return notify;
            }
            if (n == queue.Size)
            {
                // A full batch: more may be waiting. Past the budget, hand the thread back with notifications off.
                if (taken >= maxChains)
                {
                    progress = queue.HasAvailable() ? QueueProgress.MoreAvailable : Rearm(queue);
                    return notify;
                }
                continue;
            }
            if (!queue.EnableNotifications())
            {
                progress = QueueProgress.Idle;
                return notify;
            }
            if (taken >= maxChains)
            {
                // Buffers arrived while re-arming, and the budget is spent: they are the next pass's.
                queue.DisableNotifications();
                progress = QueueProgress.MoreAvailable;
                return notify;
            }
        }
    }

    /// <summary>Re-enables notifications after a pass; MoreAvailable if buffers slipped in meanwhile.</summary>
    private static QueueProgress Rearm(DeviceQueue queue)
    {
        if (!queue.EnableNotifications())
            return queue.IsBroken ? QueueProgress.Broken : QueueProgress.Idle;
        queue.DisableNotifications();
        return QueueProgress.MoreAvailable;
    }

    /// <summary>
    /// PFNs the per-page policy translates before it releases them: one Linux buffer (VIRTIO_BALLOON_ARRAY_PFNS_MAX).
    /// A descriptor may hold up to 2^30 PFNs; its pages are translated and released this many at a time, so the
    /// device's memory does not follow the descriptor's length.
    /// </summary>
    internal const int PerPageBatch = 256;

    /// <summary>
    /// A PFN-array buffer, VIRTIO 1.2 §5.5.6: le32 page frame numbers in 4 KiB units, whatever the guest's page
    /// size. A buffer outside RAM or with a partial PFN is skipped whole; each bad PFN is skipped alone. The
    /// per-page policy releases every <see cref="PerPageBatch"/> new frames as it goes: the buffer's length is
    /// the guest's to choose (le32 len, up to 4 GiB), and nothing here is sized from it. Each new frame is in the
    /// crash record before it is released; each deflated one leaves it at once.
    /// </summary>
    private unsafe void RecordPfnArray(in Descriptor d, bool inflate, bool replay)
    {
        var memory = _memory!;
        var start = Stopwatch.GetTimestamp();
        if (d.Length % sizeof(uint) != 0 || !memory.TryGetHostAddress(d.Address, d.Length, out var host))
        {
            if (GuestError(BalloonError.BadPfnBuffer, out var nth))
                BalloonLog.BadPfnBuffer(_logger, BalloonError.BadPfnBuffer, nth, d.Address, d.Length);
            return;
        }
        var pfns = new ReadOnlySpan<uint>((void*)host, (int)(d.Length / sizeof(uint)));
        var perPage = inflate && Options.Release == ReleasePolicy.PerPage;
        int outOfRange = 0, duplicate = 0, batched = 0;
        foreach (var raw in pfns)
        {
            ulong pfn = BitConverter.IsLittleEndian ? raw : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(raw);
            var region = memory.FindRegion(pfn << PageShift);
            if (region is null)
            {
                outOfRange++;
                continue;
            }
            Observer?.Invoke(pfn, 1, inflate);
            if (!inflate)
            {
                // Out of the record even if the bitmap did not have it: the guest takes this frame back.
                RecordClear(pfn, 1);
                if (_ballooned.Clear(pfn))
                    Counters.PagesDeflated++;
                else
                    duplicate++;
                continue;
            }
            if (!_ballooned.Set(pfn))
            {
                duplicate++;
                // A replayed buffer's frame was recorded by the worker that died; whether it released it is unknown.
                // The guest has not had the buffer back, so the frame is not in use: release it (again).
                if (replay)
                    ReleaseRun(pfn, 1);
                continue;
            }
            RecordSet(pfn, 1);
            Counters.PagesInflated++;
            if (perPage && WholeHostPages(region))
            {
                // QEMU's way on huge pages: look at this frame's host page now, release it if the frame completed it.
                Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
                ReleaseRun(pfn, 1);
                start = Stopwatch.GetTimestamp();
            }
            else if (perPage)
            {
                // QEMU's way: translate this one page now, release it on its own once the batch is full.
                var offset = (pfn << PageShift) - region.GuestPhysAddr;
                _pageBatch[batched++] = new HostRange(region, pfn << PageShift, region.HostAddress + (nint)offset,
                    region.FdOffset + offset, GuestMemory.PageSize);
                if (batched == _pageBatch.Length)
                {
                    Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
                    ReleasePages(batched);
                    batched = 0;
                    start = Stopwatch.GetTimestamp();
                }
            }
            else
            {
                AddPending(pfn, 1);
            }
        }
        Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
        if (outOfRange > 0)
            ReportOutOfRange(outOfRange, d.Address);
        if (duplicate > 0)
            ReportDuplicates(inflate, duplicate, d.Address, replay);
        ReleasePages(batched);
    }

    /// <summary>Releases the first <paramref name="count"/> pages of the per-page batch, one call each, and empties it.</summary>
    private void ReleasePages(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Counters.Runs++;
            Release(_pageBatch[i]);
        }
        Array.Clear(_pageBatch, 0, count); // holds no region past its memory table
    }

    /// <summary>
    /// An SG descriptor (the seed's VIRTIO_BALLOON_F_SG): addr = guest-physical start, len = bytes, 4 KiB
    /// aligned, 0 &lt; len ≤ 4 GiB − 4 KiB, entirely RAM. Either direction is accepted (the seed adds them as
    /// device-writable in-buffers). Only frames not yet ballooned are recorded (in the bitmap, then the crash record,
    /// before any release); a deflated range leaves both.
    /// </summary>
    private void RecordRange(in Descriptor d, bool inflate, bool replay)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            switch (CheckRange(d))
            {
                case RangeFault.None:
                    break;
                case RangeFault.ZeroLength:
                    if (GuestError(BalloonError.SgZeroLength, out var zero))
                        BalloonLog.SgZeroLength(_logger, BalloonError.SgZeroLength, zero, d.Address);
                    return;
                case RangeFault.TooLong:
                    if (GuestError(BalloonError.SgTooLong, out var tooLong))
                        BalloonLog.SgTooLong(_logger, BalloonError.SgTooLong, tooLong, d.Address, d.Length);
                    return;
                case RangeFault.Unaligned:
                    if (GuestError(BalloonError.SgUnaligned, out var unaligned))
                        BalloonLog.SgUnaligned(_logger, BalloonError.SgUnaligned, unaligned, d.Address, d.Length);
                    return;
                default:
                    if (GuestError(BalloonError.SgOutsideRam, out var outside))
                        BalloonLog.SgOutsideRam(_logger, BalloonError.SgOutsideRam, outside, d.Address, d.Length);
                    return;
            }
            var first = d.Address >> PageShift;
            var end = first + (d.Length >> PageShift);
            Observer?.Invoke(first, end - first, inflate);
            ulong duplicate = 0;
            if (inflate)
            {
                // Walk the sub-runs of frames that are not ballooned yet; anything already ballooned is a guest
                // error and is not released again — unless the buffer is a replay: the worker that died recorded those
                // frames and may not have released them, and the guest has not had the buffer back.
                for (var pfn = first; pfn < end;)
                {
                    var clear = _ballooned.FindZero(pfn, end);
                    duplicate += clear - pfn;
                    if (replay && clear > pfn)
                        ReleaseRun(pfn, clear - pfn);
                    if (clear == end)
                        break;
                    var set = _ballooned.FindSet(clear, end);
                    _ballooned.SetRange(clear, set - clear);
                    RecordSet(clear, set - clear);
                    Counters.PagesInflated += (long)(set - clear);
                    AddPending(clear, set - clear);
                    pfn = set;
                }
            }
            else
            {
                ulong cleared = 0;
                foreach (var run in _ballooned.Runs(first, end))
                    cleared += run.Length;
                _ballooned.ClearRange(first, end - first);
                RecordClear(first, end - first);
                Counters.PagesDeflated += (long)cleared;
                duplicate = end - first - cleared;
            }
            if (duplicate > 0)
                ReportDuplicates(inflate, (long)duplicate, d.Address, replay);
        }
        finally
        {
            Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>What is wrong with a guest address range (an SG entry, a reported block), if anything.</summary>
    private enum RangeFault
    {
        None,
        ZeroLength,
        TooLong,
        Unaligned,
        OutsideRam,
    }

    /// <summary>
    /// The checks every address range from the guest passes before the device acts on it: 0 &lt; len ≤ 4 GiB − 4 KiB,
    /// address and length 4 KiB aligned, entirely RAM (no hole, no wrap of the 64-bit space). Length before alignment:
    /// 4 GiB − 4 KiB is the largest 4 KiB multiple a le32 holds, so every longer length is also unaligned.
    /// </summary>
    private RangeFault CheckRange(in Descriptor d)
    {
        if (d.Length == 0)
            return RangeFault.ZeroLength;
        if (d.Length > BalloonFeatures.MaxSgLength)
            return RangeFault.TooLong;
        if (d.Address % GuestMemory.PageSize != 0 || d.Length % GuestMemory.PageSize != 0)
            return RangeFault.Unaligned;
        return _memory!.IsRam(d.Address, d.Length) ? RangeFault.None : RangeFault.OutsideRam;
    }

    private void ReportOutOfRange(int pfns, ulong address)
    {
        if (GuestError(BalloonError.PfnOutOfRange, out var nth))
            BalloonLog.PfnOutOfRange(_logger, BalloonError.PfnOutOfRange, nth, pfns, address);
    }

    /// <summary>
    /// Frames already ballooned (inflate) or not ballooned (deflate): a guest error, unless the buffer is a replay of one
    /// a killed worker had handled and not returned (<see cref="SetReplayWindow"/>), where that is expected.
    /// </summary>
    private void ReportDuplicates(bool inflate, long frames, ulong address, bool replay)
    {
        if (replay)
        {
            Counters.ReplayedPages += frames;
            return;
        }
        var kind = inflate ? BalloonError.DoubleInflate : BalloonError.DeflateNotBallooned;
        if (!GuestError(kind, out var nth))
            return;
        if (inflate)
            BalloonLog.DoubleInflate(_logger, kind, nth, frames, address);
        else
            BalloonLog.DeflateNotBallooned(_logger, kind, nth, frames, address);
    }

    /// <summary>
    /// Runs one drain may hold before they are released early. A drain takes up to a queue's worth of chains of up to
    /// a queue's worth of descriptors, each up to 2^30 PFNs: unbounded, the list would follow the guest's input up to
    /// one run per two frames of guest RAM. 65536 runs (about 2 MiB with the drained copy) hold a whole drain of a
    /// Linux guest on QEMU's 128-entry queues (128 buffers × 256 PFNs), so its coalescing is unchanged.
    /// </summary>
    internal const int MaxPendingRuns = 65536;

    private void AddPending(ulong pfn, ulong count)
    {
        if (Options.Release == ReleasePolicy.PerPage && SgNegotiated)
        {
            // SG without coalescing: the seed's host releases each run as it arrives.
            ReleaseRun(pfn, count);
            return;
        }
        _pending.Add(pfn, count);
        // Releasing early is always allowed: the frames are already recorded, and buffers are still returned after.
        if (_pending.Count >= MaxPendingRuns)
            FlushPending();
    }

    /// <summary>Releases the frames recorded in this drain as maximal runs: one translation and one release per run and region.</summary>
    private void FlushPending()
    {
        _flushing = true;
        _hostPageMark = 0;
        try
        {
            foreach (var (pfn, count) in _pending.Drain())
                ReleaseRun(pfn, count);
        }
        finally
        {
            _flushing = false;
            _hostPageMark = 0;
        }
    }

    private void ReleaseRun(ulong pfn, ulong count)
    {
        var start = Stopwatch.GetTimestamp();
        var n = _memory!.Translate(pfn << PageShift, count << PageShift, _pieces);
        Counters.TranslateTicks += Stopwatch.GetTimestamp() - start;
        Counters.Runs++;
        if (n < 0)
        {
            // Cannot happen: every frame was checked against RAM when recorded.
            BalloonLog.RunNoLongerTranslates(_logger, pfn, count);
            return;
        }
        var deferred = ReleaseDeferred;
        for (var i = 0; i < n; i++)
            ReleasePiece(_pieces[i], deferred);
    }

    /// <summary>A deferred release, on the worker: nothing may escape a thread-pool thread.</summary>
    private void ReleaseOffThread(HostRange range)
    {
        try
        {
            BeforeDeferredRelease?.Invoke();
            Release(range);
        }
        catch (Exception e)
        {
            Counters.AddError(BalloonError.ReleaseFailed);
            BalloonLog.DeferredReleaseFailed(_logger, range.GuestPhysAddr, range.Length, e);
        }
    }

    /// <summary>
    /// One release system call; on the device thread, or on the release worker when deferred. Returns false if it
    /// failed (counted and logged).
    /// </summary>
    private bool Release(in HostRange range)
    {
        BeforeRelease?.Invoke(range);
        var start = Stopwatch.GetTimestamp();
        try
        {
            _memory!.Release(range);
            Interlocked.Increment(ref Counters.ReleaseCalls);
            Interlocked.Add(ref Counters.BytesReleased, (long)range.Length);
            return true;
        }
        catch (Exception e) when (e is SyscallException or ArgumentException)
        {
            Counters.AddError(BalloonError.ReleaseFailed);
            BalloonLog.ReleaseFailed(_logger, range.GuestPhysAddr, range.Length, e.Message);
            return false;
        }
        finally
        {
            Interlocked.Add(ref Counters.ReleaseTicks, Stopwatch.GetTimestamp() - start);
        }
    }
}
