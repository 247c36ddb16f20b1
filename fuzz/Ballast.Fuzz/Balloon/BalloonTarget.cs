using Ballast.Balloon.Device;
using Ballast.Fuzz.Input;
using Ballast.Fuzz.Support;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Fuzz.Balloon;

/// <summary>
/// Target <c>balloon</c>: buffers a hostile guest driver puts on the balloon's queues — PFN arrays, SG ranges,
/// statistics, free page reports — through <see cref="BalloonDevice"/> into guest RAM (<see cref="BalloonLayout"/>) whose data pages
/// carry a known pattern (<see cref="PagePattern"/>).
/// <code>
/// input := mode:u8 op*
/// mode  := bit 0 SG, 1 per-page release, 2 deferred release (with MUST_TELL_HOST; coalescing only),
///          3 EVENT_IDX, 4 INDIRECT_DESC, 5 no stats queue, 6-7 queue size (16, 64, 128, 4)
/// op    := q = op &amp; 3 in 0..2: a buffer on queue q (inflate, deflate, and stats or, without stats, reporting):
///            n = ((op >> 2) &amp; 7) + 1 descriptors, bit 5 as one indirect table, bit 6 do not kick yet,
///            bit 7 every descriptor device-writable; each descriptor:
///              u8 kind: bit 0 raw (u64 addr, u32 len: SG ranges, bogus addresses)
///                       else a buffer: u16 length (mod 4097) and its bytes (PFNs, stats entries)
///        | q = 3: (op >> 2) &amp; 7: 0 host asks for statistics, 1 host sets the target (u32 pages),
///            2 config write (u8 offset mod 12, u8 length mod 9, bytes), 3 device reset (the driver then
///            starts over), 4 kick every queue, 5 raw avail idx (u8 queue mod 4, u16 idx), 6 a buffer on queue 3
///            (reporting, with stats): u8 as a buffer op, then its descriptors; else nothing
/// </code>
/// The device always offers PAGE_REPORTING and PAGE_POISON (config writes reach poison_val at 12; with it ≠ 0 reports
/// release nothing). A page inside a block of a report may read all zeros after the reporting queue's kick (released);
/// the guest then takes it back and writes the pattern again. Any other change is a finding.
/// After every kick (and the device's deferred releases): a data page that was not ballooned before the kick and
/// is not ballooned after it must still hold the pattern — a changed byte is a finding; a page the device gave
/// back (deflate, reset) gets the pattern again, as a guest reusing it would write it. Every inflate and deflate
/// buffer must have been returned (used idx = avail idx) unless the ring broke, and the stats queue may hold at
/// most one; the device's ballooned-frame count must match the RAM frames it reports ballooned. After the input
/// every page that is not ballooned is compared in full.
/// </summary>
internal sealed class BalloonTarget : IFuzzTarget, IDisposable
{
    private static readonly int[] QueueSizes = [16, 64, 128, 4];

    private readonly GuestMemory _memory = BalloonLayout.Create();
    private readonly PagePattern _pattern = new();
    private readonly bool[] _ballooned = new bool[BalloonLayout.DataPfns.Length];
    private readonly Descriptor[] _chain = new Descriptor[8];
    private readonly GuestRing?[] _rings = new GuestRing?[4];
    private readonly bool[] _ringClobbered = new bool[4];
    private readonly List<(ulong Gpa, ulong Length)> _lent = [];   // blocks of reports not yet acknowledged
    private BalloonDevice _device = null!;
    private ulong _nextBuffer;

    public BalloonTarget()
    {
        foreach (var pfn in BalloonLayout.DataPfns)
            _pattern.Fill(_memory, pfn);
    }

    public string Name => "balloon";

    /// <summary>The device of the last input (tests look at its counters).</summary>
    public BalloonDevice LastDevice => _device;

    public void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var mode = input.U8();
        var options = Options(mode);
        var size = QueueSizes[mode >> 6];
        _memory.GetSpan(BalloonLayout.Ctl, (int)BalloonLayout.CtlSize).Clear();
        Array.Clear(_ballooned);
        _nextBuffer = BalloonLayout.BufferArea;
        _device = new BalloonDevice(options, DiscardingLogger.Instance) { Memory = _memory };
        for (var q = 0; q < _rings.Length; q++)
            _rings[q] = q < _device.QueueCount ? new GuestRing(_memory, BalloonLayout.RingBases[q], size) : null;
        StartDriver();
        var clean = false;
        try
        {
            while (!input.IsEmpty)
                Step(ref input);
            for (var q = 0; q < _device.QueueCount; q++)
                Kick(q);
            CheckPages(full: true);
            clean = true;
        }
        finally
        {
            // Leave every data page as the next input expects it: refill the ballooned ones (after a finding, any
            // page that differs).
            _device.Reset();
            for (var i = 0; i < _ballooned.Length; i++)
            {
                var pfn = BalloonLayout.DataPfns[i];
                if (clean ? _ballooned[i] : _pattern.FirstDifference(_memory, pfn, full: true) >= 0)
                    _pattern.Fill(_memory, pfn);
            }
        }
    }

    /// <summary>The device configuration a mode byte selects (see the class comment).</summary>
    public static BalloonDeviceOptions Options(byte mode)
    {
        var perPage = (mode & 0x02) != 0;
        var defer = (mode & 0x04) != 0 && !perPage;
        return new BalloonDeviceOptions
        {
            ScatterGather = (mode & 0x01) != 0,
            Release = perPage ? ReleasePolicy.PerPage : ReleasePolicy.Coalesce,
            MustTellHost = defer,
            DeferRelease = defer,
            EventIdx = (mode & 0x08) != 0,
            IndirectDescriptors = (mode & 0x10) != 0,
            StatsQueue = (mode & 0x20) == 0,
            PageReporting = true,
            PagePoison = true,
        };
    }

    /// <summary>The driver negotiates everything offered and sets up fresh queues (at start and after a reset).</summary>
    private void StartDriver()
    {
        _device.SetDriverFeatures(_device.OfferedFeatures);
        for (var q = 0; q < _device.QueueCount; q++)
        {
            var ring = _rings[q]!;
            ring.Clear();
            _ringClobbered[q] = false;
            _device.AttachQueue(q, new DeviceQueue(_memory, ring.Size, ring.Addresses, _device.NegotiatedFeatures));
        }
    }

    private void Step(ref FuzzInput input)
    {
        var op = input.U8();
        var q = op & 3;
        if (q < 3)
        {
            Buffer(ref input, op, q);
            return;
        }
        switch ((op >> 2) & 7)
        {
            case 0:
                _device.RequestStatistics();
                break;
            case 1:
                _device.SetTargetPages(input.U32());
                break;
            case 2:
                var offset = input.U8() % 16u;
                _device.WriteConfig(offset, input.Take(input.U8() % 9));
                break;
            case 3:
                _device.Reset();
                CheckPages(full: false);
                _lent.Clear();
                StartDriver();
                break;
            case 4:
                for (var i = 0; i < _device.QueueCount; i++)
                    Kick(i);
                break;
            case 5:
                var ring = _rings[input.U8() % 4];
                var idx = input.U16();
                ring?.SetAvailIdx(idx);
                break;
            case 6:
                Buffer(ref input, input.U8(), 3);
                break;
        }
    }

    private void Buffer(ref FuzzInput input, byte op, int q)
    {
        var count = ((op >> 2) & 7) + 1;
        var indirect = (op & 0x20) != 0;
        var kick = (op & 0x40) == 0;
        var writable = (op & 0x80) != 0 ? Descriptor.FlagWrite : (ushort)0;
        for (var i = 0; i < count; i++)
        {
            var kind = input.U8();
            if ((kind & 1) != 0)
            {
                _chain[i] = new Descriptor(input.U64(), input.U32(), writable, 0);
                continue;
            }
            var length = input.U16() % 4097;
            var gpa = Allocate((ulong)length);
            var bytes = _memory.GetSpan(gpa, length);
            bytes.Clear();
            input.Take(length).CopyTo(bytes);
            _chain[i] = new Descriptor(gpa, (uint)length, writable, 0);
        }
        var ring = _rings[q];
        if (ring is null)
            return;
        if (_device.RoleOf(q) == BalloonQueueRole.Reporting)
        {
            foreach (var d in _chain.AsSpan(0, count))
                _lent.Add((d.Address, d.Length));
        }
        if (indirect)
        {
            var table = Allocate(16 * (ulong)count);
            GuestRing.WriteTable(_memory, table, _chain.AsSpan(0, count));
            ring.Add([new Descriptor(table, 16 * (uint)count, Descriptor.FlagIndirect, 0)]);
        }
        else
        {
            ring.Add(_chain.AsSpan(0, count));
        }
        if (kick)
            Kick(q);
    }

    /// <summary>Bump allocation in the buffer area, 16-byte aligned, wrapping to its start when full.</summary>
    private ulong Allocate(ulong length)
    {
        var end = BalloonLayout.Ctl + BalloonLayout.CtlSize;
        if (_nextBuffer + length > end)
            _nextBuffer = BalloonLayout.BufferArea;
        var gpa = _nextBuffer;
        _nextBuffer = (gpa + Math.Max(length, 1) + 15) & ~15UL;
        return gpa;
    }

    private void Kick(int q)
    {
        _device.ProcessQueue(q);
        var reporting = _device.RoleOf(q) == BalloonQueueRole.Reporting;
        if (reporting)
            TakeBackLent();
        CheckPages(full: false);
        var ring = _rings[q]!;
        var queue = _device.GetQueue(q);
        // A driver may balloon the very pages its rings live on; once the host has them back the ring reads as
        // zeros and its indices mean nothing: that ring is no longer checked (until the driver sets it up again).
        for (var pfn = ring.Addresses.DescriptorTable / BalloonLayout.Page; pfn <= (ring.Addresses.UsedRing + BalloonLayout.Page) / BalloonLayout.Page; pfn++)
            _ringClobbered[q] |= _device.IsBallooned(pfn);
        if (queue is null || queue.IsBroken || _ringClobbered[q])
            return;
        var outstanding = (ushort)(ring.AvailIdx - ring.UsedIdx);
        var allowed = _device.RoleOf(q) == BalloonQueueRole.Stats ? 1 : 0;
        if (outstanding > allowed)
            throw new InvariantViolationException($"queue {q}: avail idx {ring.AvailIdx}, used idx {ring.UsedIdx} after a kick; at most {allowed} buffer(s) may stay with the device");
    }

    /// <summary>The page check described on the class, after the device's deferred releases are done.</summary>
    private void CheckPages(bool full)
    {
        _device.WaitForReleases();
        ulong ballooned = 0;
        for (var i = 0; i < _ballooned.Length; i++)
        {
            var pfn = BalloonLayout.DataPfns[i];
            var now = _device.IsBallooned(pfn);
            if (now)
            {
                ballooned++;
            }
            else if (_ballooned[i])
            {
                _pattern.Fill(_memory, pfn);
            }
            else if (_pattern.FirstDifference(_memory, pfn, full) is var at and >= 0)
            {
                throw new InvariantViolationException(
                    $"guest page 0x{pfn * BalloonLayout.Page:x} (PFN 0x{pfn:x}) is not ballooned, yet its byte {at} changed (a release or a stray write)");
            }
            _ballooned[i] = now;
        }
        for (var pfn = BalloonLayout.Ctl / BalloonLayout.Page; pfn < (BalloonLayout.Ctl + BalloonLayout.CtlSize) / BalloonLayout.Page; pfn++)
            ballooned += _device.IsBallooned(pfn) ? 1UL : 0;
        if (_device.BalloonedPages != ballooned)
            throw new InvariantViolationException($"the device counts {_device.BalloonedPages} ballooned frames, but {ballooned} frames of guest RAM are ballooned");
    }

    /// <summary>
    /// The reports were acknowledged: a lent data page that is not ballooned reads its pattern or, released, all zeros;
    /// the guest takes it back and writes the pattern again. A page outside every block is left to <see cref="CheckPages"/>.
    /// </summary>
    private void TakeBackLent()
    {
        for (var i = 0; i < _ballooned.Length; i++)
        {
            var pfn = BalloonLayout.DataPfns[i];
            var gpa = pfn * BalloonLayout.Page;
            if (_ballooned[i] || _device.IsBallooned(pfn) || !IsLent(gpa))
                continue;
            if (_memory.GetSpan(gpa, (int)BalloonLayout.Page).IndexOfAnyExcept((byte)0) < 0)
                _pattern.Fill(_memory, pfn);
        }
        // A report may lend the pages a ring lives on: released, the ring reads as zeros, as with a ballooned one.
        for (var q = 0; q < _rings.Length; q++)
        {
            if (_rings[q] is not { } ring)
                continue;
            for (var gpa = ring.Addresses.DescriptorTable & ~(BalloonLayout.Page - 1); gpa <= ring.Addresses.UsedRing + BalloonLayout.Page; gpa += BalloonLayout.Page)
                _ringClobbered[q] |= IsLent(gpa);
        }
        _lent.Clear();
    }

    private bool IsLent(ulong gpa)
    {
        foreach (var (start, length) in _lent)
        {
            if (gpa >= start && gpa - start < length)
                return true;
        }
        return false;
    }

    public void Dispose() => _memory.Dispose();
}
