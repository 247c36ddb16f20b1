using Ballast.Linux;
using Ballast.Virtio;
using Ballast.Virtio.Memory;

namespace Ballast.Balloon.Device;

/// <summary>
/// Crash survival (issue #12): the balloon's state in a <see cref="BalloonRecord"/> that outlives the worker, and the
/// replay of buffers a killed worker took and did not return.
/// </summary>
/// <remarks>
/// <para>
/// With a record attached, every change of the ballooned set is mirrored into it inside the device lock, in this
/// order: a frame the guest inflates is in the record before its memory is released and before its buffer is
/// returned; a frame the guest deflates is out of the record before its buffer is returned. So at any instant a
/// worker may die, every frame in the record is one the guest has given up and not been told it has back: releasing
/// it again (<see cref="ReleaseRecorded"/>) cannot lose guest data. With VIRTIO_BALLOON_F_MUST_TELL_HOST the driver
/// "MUST NOT use" a page before the device acknowledged its deflate, i.e. returned the buffer (VIRTIO 1.2 §5.5.6.1).
/// </para>
/// <para>
/// Without MUST_TELL_HOST, §5.5.6.1 lets a driver use a page it deflates before it tells the device (Linux, QEMU's
/// usual guest, tells first and waits anyway). A frame so reused stays in the record until its deflate buffer is
/// processed, and <see cref="ReleaseRecorded"/> would discard what the guest wrote there; the caller decides whether
/// to call it for such a driver.
/// </para>
/// </remarks>
public sealed partial class BalloonDevice
{
    /// <summary>The attached crash record, or null.</summary>
    public BalloonRecord? Record
    {
        get
        {
            lock (_lock)
                return _record;
        }
    }

    /// <summary>
    /// Attaches the crash record; from now on every change of the ballooned set, of num_pages, of actual and of poison_val is
    /// written to it too (see the remarks on this file's part of the type). The device does not own the record: dispose
    /// it after the device is done with it. With <paramref name="resume"/> false the record is made to match the
    /// device (cleared, then every ballooned frame, num_pages, actual and poison_val written). With <paramref name="resume"/>
    /// true the device takes the record's state: the ballooned set, num_pages, actual and poison_val become what a killed
    /// worker left,
    /// and nothing is released (call <see cref="ReleaseRecorded"/> once guest memory is mapped). Resume raises no
    /// <see cref="ConfigChanged"/>: the target is the one the guest was last told; if the host changed it while no
    /// worker ran, the caller sets it with <see cref="SetTargetPages"/> afterwards, which notifies. Resume before the
    /// queues run.
    /// </summary>
    /// <exception cref="InvalidOperationException">A record is attached already.</exception>
    public void AttachRecord(BalloonRecord record, bool resume)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            if (_record is not null)
                throw new InvalidOperationException("a record is attached already");
            if (resume)
            {
                _ballooned.Reset();
                foreach (var run in record.Runs())
                    _ballooned.SetRange(run.Start, run.Length);
                Volatile.Write(ref _numPages, record.TargetPages);
                Volatile.Write(ref _actual, record.ActualPages);
                Volatile.Write(ref _poisonValue, record.PoisonValue);
                BalloonLog.RecordResumed(_logger, _ballooned.Count, _numPages, _actual);
            }
            _record = record;
            CoverGuestRam();
            if (!resume)
            {
                record.ClearAll();
                foreach (var run in _ballooned.Runs(0, ulong.MaxValue))
                    RecordSet(run.Start, run.Length);
                record.TargetPages = _numPages;
                record.ActualPages = _actual;
                record.PoisonValue = _poisonValue;
            }
        }
    }

    /// <summary>
    /// Releases every recorded frame through the current guest memory, run by run and region by region (one
    /// fallocate/madvise per piece, synchronously), and returns the bytes released. For a worker that resumed from a
    /// record: the killed worker may have recorded frames it had not released yet. Touches no frame outside the
    /// record; recorded frames that are not guest RAM now are skipped and logged once. Call it once guest memory is
    /// mapped again and before the queues run. Releasing a frame twice is harmless (it reads zero either way).
    /// </summary>
    /// <exception cref="InvalidOperationException">No record is attached, or no guest memory is set.</exception>
    public long ReleaseRecorded()
    {
        lock (_lock)
        {
            if (_record is null)
                throw new InvalidOperationException("no record is attached");
            var memory = _memory ?? throw new InvalidOperationException("guest memory is not set");
            _releaser.WaitIdle();
            var regions = memory.Regions;
            var r = 0;
            long bytes = 0, runs = 0;
            ulong skipped = 0, firstSkipped = 0;
            foreach (var run in _record.Runs())
            {
                var gpa = run.Start << PageShift;
                var end = run.End << PageShift;
                // Runs and regions both ascend: walk them together, releasing each run's overlap with each region.
                while (gpa < end)
                {
                    while (r < regions.Count && regions[r].GuestPhysEnd <= gpa)
                        r++;
                    var next = r < regions.Count ? Math.Min(regions[r].GuestPhysAddr, end) : end;
                    if (next > gpa)
                    {
                        if (skipped == 0)
                            firstSkipped = gpa >> PageShift;
                        skipped += (next - gpa) >> PageShift;
                        gpa = next;
                        continue;
                    }
                    var region = regions[r];
                    var pieceEnd = Math.Min(end, region.GuestPhysEnd);
                    var offset = gpa - region.GuestPhysAddr;
                    Counters.Runs++;
                    runs++;
                    bytes += ReleasePiece(new HostRange(region, gpa, region.HostAddress + (nint)offset, region.FdOffset + offset, pieceEnd - gpa), deferred: false);
                    gpa = pieceEnd;
                }
            }
            if (skipped > 0)
                BalloonLog.RecordedOutsideRam(_logger, skipped, firstSkipped);
            BalloonLog.RecordReleased(_logger, bytes, runs);
            return bytes;
        }
    }

    /// <summary>
    /// Opens a replay window on the inflate or deflate queue: the next <paramref name="chains"/> chains popped from it
    /// may be buffers a killed worker had taken and not returned, which the ring hands out again. In them, frames
    /// already ballooned (inflate) or not ballooned (deflate) are what that worker had done: they are counted in
    /// <see cref="BalloonCounters.ReplayedPages"/>, not as <see cref="BalloonError.DoubleInflate"/> or
    /// <see cref="BalloonError.DeflateNotBallooned"/>, and not logged; frames of a replayed inflate buffer that were
    /// ballooned already are released again (the dead worker may have recorded them and died before releasing them;
    /// the guest has not had the buffer back, so they are not in use). Everything else in them is handled as usual
    /// (new frames recorded and released, malformed input counted again). After the window, duplicates are guest
    /// errors as always. 0 closes the window; a reset closes it too.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queueIndex"/> is not the inflate or deflate
    /// queue, or <paramref name="chains"/> is negative.</exception>
    public void SetReplayWindow(int queueIndex, int chains)
    {
        if (queueIndex is not (BalloonQueue.Inflate or BalloonQueue.Deflate))
            throw new ArgumentOutOfRangeException(nameof(queueIndex), queueIndex, "only the inflate and deflate queues replay buffers");
        ArgumentOutOfRangeException.ThrowIfNegative(chains);
        lock (_lock)
            _replayWindow[queueIndex] = chains;
    }

    /// <summary>
    /// A resumed vhost-user session (<see cref="IVirtioDevice.Resume"/>): guest memory is mapped again, no queue runs
    /// yet. With a record attached for resume and MUST_TELL_HOST negotiated, every recorded frame is released once
    /// more (<see cref="ReleaseRecorded"/>): a deferred release the killed worker had queued may never have run.
    /// Without MUST_TELL_HOST the driver may already use a frame it is deflating (see the remarks), so nothing is
    /// released wholesale; the frames of replayed inflate buffers are released as they come (<see cref="SetReplayWindow"/>),
    /// which covers a synchronous release cut short — the only kind there is without MUST_TELL_HOST.
    /// </summary>
    void IVirtioDevice.Resume()
    {
        if (Record is null || Memory is null)
            return;
        if (!VirtioFeatures.Has(NegotiatedFeatures, BalloonFeatures.MustTellHost))
        {
            BalloonLog.ResumeWithoutRelease(_logger);
            return;
        }
        var bytes = ReleaseRecorded();
        BalloonLog.ResumeReleased(_logger, bytes);
    }

    /// <inheritdoc/>
    void IVirtioDevice.ExpectReplays(int index, int chains)
    {
        if (index is BalloonQueue.Inflate or BalloonQueue.Deflate)
            SetReplayWindow(index, chains);
    }

    /// <summary>Chains of queue <paramref name="queueIndex"/> still inside its replay window (0 for the stats queue).</summary>
    public int ReplayChainsLeft(int queueIndex)
    {
        lock (_lock)
            return queueIndex is BalloonQueue.Inflate or BalloonQueue.Deflate ? _replayWindow[queueIndex] : 0;
    }

    /// <summary>True if the chain just popped from <paramref name="queueIndex"/> lies in its replay window (and uses it up).</summary>
    private bool TakeReplay(int queueIndex)
    {
        if (_replayWindow[queueIndex] == 0)
            return false;
        _replayWindow[queueIndex]--;
        return true;
    }

    /// <summary>
    /// Grows the record to cover the highest frame of guest RAM. Frames it cannot cover (beyond
    /// <see cref="BalloonRecord.MaxFrameCapacity"/>, or if growing fails) stay unrecorded, which is safe: a restarted
    /// worker forgets them, it never releases a frame the guest may use.
    /// </summary>
    private void CoverGuestRam()
    {
        if (_record is null || _memory is null)
            return;
        var endPfn = _memory.EndAddress >> PageShift;
        if (endPfn > BalloonRecord.MaxFrameCapacity)
            BalloonLog.RecordCapped(_logger, endPfn, BalloonRecord.MaxFrameCapacity);
        var frames = Math.Min(endPfn, BalloonRecord.MaxFrameCapacity);
        try
        {
            _record.EnsureCapacity(frames);
        }
        catch (SyscallException e)
        {
            BalloonLog.RecordGrowFailed(_logger, frames, _record.FrameCapacity, e);
        }
    }

    /// <summary>Records frames [pfn, pfn + count) that lie inside the record (see <see cref="CoverGuestRam"/>).</summary>
    private void RecordSet(ulong pfn, ulong count)
    {
        if (_record is null)
            return;
        var capacity = _record.FrameCapacity;
        if (pfn < capacity)
            _record.SetRange(pfn, Math.Min(count, capacity - pfn));
    }

    /// <summary>Takes frames [pfn, pfn + count) out of the record (frames beyond it were never in it).</summary>
    private void RecordClear(ulong pfn, ulong count)
    {
        if (_record is null)
            return;
        var capacity = _record.FrameCapacity;
        if (pfn < capacity)
            _record.ClearRange(pfn, Math.Min(count, capacity - pfn));
    }
}
