using Ballast.Virtio.Memory;
using Ballast.Linux;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Ballast.Balloon.Device;
using Ballast.Simulation.Guest;
using Ballast.Bitmap;
using Ballast.Virtio;
using Ballast.Virtio.Queue;

namespace Ballast.Simulation.Driver;

/// <summary>
/// The guest's balloon driver, run on the simulated guest's "vCPU" thread: Linux 6.1's virtio_balloon in PFN
/// mode, and the seed's VIRTIO_BALLOON_F_SG algorithm when SG is negotiated. It talks to the device only through
/// virtqueues in guest memory, eventfds and config space (<see cref="IVirtioTransport"/>).
/// </summary>
/// <remarks>
/// Differences from the seed, on purpose: a page that cannot be recorded in the bitmap goes out as a single-page
/// entry instead of being dropped (review feedback on v20), and after the last batch the driver waits for every
/// buffer, not just one, before clearing the bitmap and (on deflate) freeing pages — the MUST_TELL_HOST order.
/// Not thread-safe: one thread drives inflate/deflate/OOM/migration, as the kernel's balloon_lock does.
/// </remarks>
public sealed partial class BalloonDriver : IDisposable
{
    /// <summary>VIRTIO_BALLOON_ARRAY_PFNS_MAX: Linux sends at most 256 PFNs per buffer.</summary>
    public const int PfnsPerBuffer = 256;

    private const int PageShift = GuestPage.Shift;

    private readonly SimulatedGuest _guest;
    private readonly IVirtioTransport _transport;
    private readonly BalloonDriverOptions _options;
    private readonly XBitmap _record = new();     // the seed's page_xb
    private readonly ulong[] _oomPages;            // preallocated: the OOM path allocates nothing
    private ulong[] _pages;                         // the balloon's pages, a stack (Linux's balloon page list)
    private long _count;
    private DriverQueue? _inflate, _deflate, _stats;
    private readonly List<EventFd> _eventFds = [];
    private EventFd? _inflateCall, _deflateCall;
    private ulong _pfnArrayGpa;
    private Thread? _statsThread;
    private EventFd? _statsStop;

    /// <summary>Creates the driver; call <see cref="Probe"/> to negotiate and start the device.</summary>
    public BalloonDriver(SimulatedGuest guest, IVirtioTransport transport, BalloonDriverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(transport);
        _guest = guest;
        _transport = transport;
        _options = options ?? new BalloonDriverOptions();
        _oomPages = new ulong[_options.OomPages];
        _pages = new ulong[Math.Max(1024, (long)guest.Allocator.FreeFrames)];
        // Fault the page list in now (Linux links balloon pages through struct page, which exists from boot), so
        // the alloc stage does not pay the simulator's own page faults; the floor does the same.
        _pages.AsSpan().Clear();
    }

    /// <summary>Features negotiated at <see cref="Probe"/>.</summary>
    public ulong Features { get; private set; }

    /// <summary>True if the seed's SG protocol is in use.</summary>
    public bool ScatterGather { get; private set; }

    /// <summary>True if VIRTIO_BALLOON_F_DEFLATE_ON_OOM was negotiated.</summary>
    public bool DeflateOnOomEnabled => VirtioFeatures.Has(Features, BalloonFeatures.DeflateOnOom);

    /// <summary>Pages in the balloon (the driver's num_pages).</summary>
    public ulong NumPages => (ulong)_count;

    /// <summary>What the driver did.</summary>
    public DriverCounters Counters { get; } = new();

    /// <summary>Kicks sent on the inflate, deflate and reporting queues.</summary>
    public long Kicks => (_inflate?.Kicks ?? 0) + (_deflate?.Kicks ?? 0) + (_reportingQueue?.Kicks ?? 0);

    /// <summary>The balloon's pages (for integrity checks).</summary>
    public ReadOnlySpan<ulong> Pages => _pages.AsSpan(0, (int)_count);

    /// <summary>
    /// virtballoon_probe: negotiates features (VIRTIO 1.2 §3.1.1), lays out the queues in "kernel" pages of the
    /// guest, queues the first stats buffer, and sets DRIVER_OK.
    /// </summary>
    public void Probe()
    {
        var offered = _transport.DeviceFeatures;
        if (!VirtioFeatures.Has(offered, VirtioFeatures.Version1))
            throw new InvalidOperationException("the device is not a VIRTIO 1.x device (VERSION_1 not offered)");
        var wanted = VirtioFeatures.Bit(VirtioFeatures.Version1) | VirtioFeatures.Bit(VirtioFeatures.EventIdx)
            | VirtioFeatures.Bit(BalloonFeatures.MustTellHost) | VirtioFeatures.Bit(BalloonFeatures.StatsVq)
            | VirtioFeatures.Bit(BalloonFeatures.DeflateOnOom)
            | (_options.PageReporting ? VirtioFeatures.Bit(BalloonFeatures.PageReporting) : 0)
            | (_options.UseScatterGather ? VirtioFeatures.Bit(_options.SgBit) : 0);
        Features = offered & wanted;
        ScatterGather = _options.UseScatterGather && VirtioFeatures.Has(Features, _options.SgBit);
        _transport.SetDriverFeatures(Features);

        _inflate = SetupQueue(BalloonQueue.Inflate, out _inflateCall);
        _deflate = SetupQueue(BalloonQueue.Deflate, out _deflateCall);
        _pfnArrayGpa = _guest.AllocKernelPages(0) << PageShift;
        if (VirtioFeatures.Has(Features, BalloonFeatures.StatsVq))
            StartStats();
        if (VirtioFeatures.Has(Features, BalloonFeatures.PageReporting))
            StartReporting();
        _transport.DriverOk();
    }

    private DriverQueue SetupQueue(int index, out EventFd call)
    {
        var size = _transport.MaxQueueSize(index);
        if (!SplitRing.IsValidSize(size))
            throw new InvalidOperationException($"device offers queue {index} with size {size}");
        // Descriptor table, then the available ring, then the used ring at a 4-byte boundary (§2.7 alignment).
        var availOffset = SplitRing.DescriptorTableBytes(size);
        var usedOffset = (availOffset + SplitRing.AvailableRingBytes(size) + 3) & ~3UL;
        var bytes = usedOffset + SplitRing.UsedRingBytes(size);
        var order = 0;
        while ((4096UL << order) < bytes)
            order++;
        var gpa = _guest.AllocKernelPages(order) << PageShift;
        var addresses = new RingAddresses(gpa, gpa + availOffset, gpa + usedOffset);
        var queue = new DriverQueue(_guest.Memory, size, addresses, Features);
        var kick = new EventFd();
        call = new EventFd();
        _eventFds.Add(kick);
        _eventFds.Add(call);
        queue.Kick = kick;
        _transport.SetupQueue(index, size, addresses, kick, call);
        return queue;
    }

    /// <summary>
    /// Inflates by up to <paramref name="pages"/> 4 KiB pages; stops early when the guest has no free page
    /// (Linux retries later). Updates <c>actual</c> after every fill, as update_balloon_size does.
    /// </summary>
    /// <returns>Pages added to the balloon.</returns>
    public ulong Inflate(ulong pages, IProgress<ulong>? progress = null)
    {
        EnsureProbed();
        ulong done = 0;
        while (done < pages)
        {
            var n = ScatterGather ? FillSg(pages - done) : FillPfn((int)Math.Min(PfnsPerBuffer, pages - done));
            if (n == 0)
                break;
            done += n;
            UpdateActual();
            progress?.Report(done);
        }
        return done;
    }

    /// <summary>Deflates by up to <paramref name="pages"/> pages, telling the host before the pages are reused.</summary>
    /// <returns>Pages taken out of the balloon.</returns>
    public ulong Deflate(ulong pages, IProgress<ulong>? progress = null)
    {
        EnsureProbed();
        ulong done = 0;
        while (done < pages && _count > 0)
        {
            var n = ScatterGather ? LeakSg(pages - done) : LeakPfn((int)Math.Min(PfnsPerBuffer, pages - done));
            done += n;
            UpdateActual();
            progress?.Report(done);
        }
        return done;
    }

    /// <summary>
    /// The OOM notifier (only with DEFLATE_ON_OOM): gives back up to <see cref="BalloonDriverOptions.OomPages"/>
    /// pages without allocating anything — PFN mode reuses the PFN array; SG mode sends single-page entries
    /// (the seed's leak_balloon_sg_oom) instead of building a bitmap.
    /// </summary>
    /// <returns>Pages freed to the guest.</returns>
    public ulong DeflateOnOom()
    {
        EnsureProbed();
        if (!DeflateOnOomEnabled)
            return 0;
        ulong freed;
        if (ScatterGather)
            freed = LeakSgOom();
        else
            freed = LeakPfn(Math.Min(PfnsPerBuffer, _options.OomPages));
        UpdateActual();
        return freed;
    }

    /// <summary>
    /// Balloon page migration (virtballoon_migratepage): a new page replaces <paramref name="oldPfn"/> in the
    /// balloon — the new page is inflated, then the old one deflated, one entry each — and the old page is freed.
    /// </summary>
    /// <returns>The new page's PFN, or null if <paramref name="oldPfn"/> is not in the balloon or no page is free.</returns>
    public ulong? MigratePage(ulong oldPfn)
    {
        EnsureProbed();
        var index = Array.IndexOf(_pages, oldPfn, 0, (int)_count);
        if (index < 0 || !_guest.Allocator.TryAlloc(0, out var newPfn))
            return null;
        SendOne(_inflate!, _inflateCall!, newPfn);
        _pages[index] = newPfn;
        SendOne(_deflate!, _deflateCall!, oldPfn);
        _guest.Allocator.Free(oldPfn, 0);
        return newPfn;
    }

    /// <summary>Reads num_pages, the device's target (le32 at offset 0 of config space).</summary>
    public uint ReadTarget()
    {
        Span<byte> b = stackalloc byte[4];
        _transport.ReadConfig(0, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>update_balloon_size: writes actual = the driver's num_pages.</summary>
    private void UpdateActual()
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)_count);
        _transport.WriteConfig(4, b);
        Counters.ConfigWrites++;
    }

    /// <summary>Allocates up to <paramref name="count"/> order-0 pages onto the balloon stack (timed as "alloc").</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long AllocatePages(long count)
    {
        var start = Stopwatch.GetTimestamp();
        var allocator = _guest.Allocator;
        count = Math.Min(count, (long)allocator.FreeFrames);
        EnsureCapacity(_count + count);
        long got = 0;
        while (got < count && allocator.TryAlloc(0, out var pfn))
        {
            if (_options.ZeroOnAlloc)
                _guest.Memory.GetSpan(pfn << PageShift, GuestPage.Size).Clear();
            _pages[_count + got] = pfn;
            got++;
        }
        Counters.AllocTicks += Stopwatch.GetTimestamp() - start;
        return got;
    }

    private void EnsureCapacity(long needed)
    {
        if (needed <= _pages.Length)
            return;
        Array.Resize(ref _pages, (int)Math.Max(needed, Math.Min((long)_pages.Length * 2, Array.MaxLength)));
    }

    private void FreePages(ReadOnlySpan<ulong> pfns)
    {
        foreach (var pfn in pfns)
            _guest.Allocator.Free(pfn, 0);
    }

    /// <summary>Adds one buffer, kicks if the device wants it, and waits until the device returns it.</summary>
    private void AddKickAndWait(DriverQueue queue, EventFd call, ReadOnlySpan<BufferSegment> segments)
    {
        while (queue.NumFree < segments.Length)
            WaitUsed(queue, call);
        queue.TryAdd(segments);
        Counters.Buffers++;
        queue.KickIfNeeded();
        while (queue.InFlight > 0)
            WaitUsed(queue, call);
    }

    /// <summary>Waits for at least one used buffer and collects every used buffer there is.</summary>
    private void WaitUsed(DriverQueue queue, EventFd call)
    {
        var collected = false;
        while (true)
        {
            while (queue.TryGetUsed(out _, out _))
                collected = true;
            if (collected)
                return;
            if (call.Wait((int)_options.DeviceTimeout.TotalMilliseconds) == 0 && !queue.HasUsed())
                throw new TimeoutException($"the device returned no buffer within {_options.DeviceTimeout.TotalSeconds} s");
        }
    }

    private void EnsureProbed()
    {
        if (_inflate is null)
            throw new InvalidOperationException("Probe() first");
    }

    /// <summary>Stops the stats thread and closes the eventfds.</summary>
    public void Dispose()
    {
        _statsStop?.Signal();
        _statsThread?.Join();
        _statsStop?.Dispose();
        foreach (var fd in _eventFds)
            fd.Dispose();
    }
}
