using Ballast.Linux;
using Ballast.Balloon.Device;
using Ballast.Virtio.Queue;

namespace Ballast.Simulation.Driver;

public sealed partial class BalloonDriver
{
    /// <summary>The seed's max_len in pages: round_down(UINT_MAX, PAGE_SIZE) bytes = 4 GiB − 4 KiB.</summary>
    private const ulong MaxSgPages = BalloonFeatures.MaxSgLength >> PageShift;

    /// <summary>
    /// The seed's fill_balloon with SG: no 256-page limit — allocate everything asked for, record each page in
    /// the bitmap (tracking pfn_min/pfn_max), then tell_host_sgs.
    /// </summary>
    private ulong FillSg(ulong num)
    {
        var got = AllocatePages((long)Math.Min(num, (ulong)Array.MaxLength));
        if (got == 0)
            return 0;
        var pfns = _pages.AsSpan((int)_count, (int)got);
        _count += got;
        RecordAndTell(pfns, _inflate!, _inflateCall!);
        return (ulong)got;
    }

    /// <summary>The seed's leak_balloon with SG: dequeue, record, tell_host_sgs, then free the pages.</summary>
    private ulong LeakSg(ulong num)
    {
        var n = (int)Math.Min(num, (ulong)_count);
        if (n == 0)
            return 0;
        var pfns = _pages.AsSpan((int)(_count - n), n);
        _count -= n;
        RecordAndTell(pfns, _deflate!, _deflateCall!);
        FreePages(pfns);
        return (ulong)n;
    }

    private void RecordAndTell(ReadOnlySpan<ulong> pfns, DriverQueue queue, EventFd call)
    {
        ulong pfnMin = ulong.MaxValue, pfnMax = 0;
        foreach (var pfn in pfns)
        {
            if (_options.RecordFault?.Invoke(pfn) == true)
            {
                // xb_set_page failed: never drop the page (the seed freed it, review asked for this instead).
                Counters.RecordFallbacks++;
                BatchSg(queue, call, pfn, 1);
                continue;
            }
            _record.Set(pfn);
            pfnMin = Math.Min(pfnMin, pfn);
            pfnMax = Math.Max(pfnMax, pfn);
        }
        if (pfnMin <= pfnMax)
            TellHostSgs(queue, call, pfnMin, pfnMax + 1);
        FinishBatch(queue, call);
        if (pfnMin <= pfnMax)
            _record.ClearRange(pfnMin, pfnMax + 1 - pfnMin);
    }

    /// <summary>
    /// tell_host_sgs: find runs of set bits in [start, end) with FindSet/FindZero, split each at max_len, and
    /// send every piece as one single-entry buffer, batching until the queue is full.
    /// </summary>
    private void TellHostSgs(DriverQueue queue, EventFd call, ulong start, ulong end)
    {
        var pfn = start;
        while (pfn < end)
        {
            var runStart = _record.FindSet(pfn, end);
            if (runStart == end)
                break;
            var runEnd = _record.FindZero(runStart, end);
            var s = runStart;
            while (runEnd - s > MaxSgPages)
            {
                BatchSg(queue, call, s, MaxSgPages);
                s += MaxSgPages;
            }
            BatchSg(queue, call, s, runEnd - s);
            pfn = runEnd;
        }
    }

    /// <summary>
    /// batch_balloon_page_sg: detach used buffers, add one in-buffer for the run, and when the queue is full,
    /// kick and wait for the device to return buffers.
    /// </summary>
    private void BatchSg(DriverQueue queue, EventFd call, ulong pfn, ulong pages)
    {
        while (queue.TryGetUsed(out _, out _))
        {
        }
        if (queue.NumFree == 0)
        {
            queue.KickIfNeeded();
            WaitUsed(queue, call);
        }
        queue.TryAdd([new BufferSegment(pfn << PageShift, (uint)(pages << PageShift), DeviceWritable: true)]);
        Counters.Buffers++;
        if (queue.NumFree == 0)
        {
            queue.KickIfNeeded();
            WaitUsed(queue, call);
        }
    }

    /// <summary>The final kick for a partial batch; waits for every buffer (the seed waited for one).</summary>
    private void FinishBatch(DriverQueue queue, EventFd call)
    {
        queue.KickIfNeeded();
        while (queue.InFlight > 0)
            WaitUsed(queue, call);
    }

    /// <summary>
    /// leak_balloon_sg_oom: up to oom_pages single-page entries, no bitmap (it may need memory). The pages are
    /// freed only after the host has them all (MUST_TELL_HOST); their PFNs wait in a preallocated array.
    /// </summary>
    private ulong LeakSgOom()
    {
        var n = (int)Math.Min(_oomPages.Length, _count);
        for (var i = 0; i < n; i++)
        {
            var pfn = _pages[--_count];
            _oomPages[i] = pfn;
            BatchSg(_deflate!, _deflateCall!, pfn, 1);
        }
        FinishBatch(_deflate!, _deflateCall!);
        FreePages(_oomPages.AsSpan(0, n));
        return (ulong)n;
    }
}
