using Ballast.Linux;
using System.Buffers.Binary;
using Ballast.Bitmap;
using Ballast.Virtio;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Balloon.Device;

/// <summary>
/// The virtio memory balloon device, VIRTIO 1.2 §5.5, with Ballast's scatter-gather extension (the seed).
/// The guest puts pages on the inflate queue (as arrays of le32 4 KiB PFNs, or with SG as one address/length
/// range per descriptor); the device records them in a bitmap of ballooned frames and gives the host memory
/// behind them back. Deflate takes frames out of the bitmap and releases nothing (the guest refaults them).
/// With PAGE_REPORTING the guest also lends free pages on reporting_vq: released, never ballooned
/// (BalloonDevice.Reporting.cs).
/// </summary>
/// <remarks>
/// Data path: <see cref="ProcessQueue(int, int)"/> pops chains (validated by <see cref="DeviceQueue"/>), validates every
/// PFN/range against guest RAM, records new frames, coalesces them into runs (<see cref="ReleasePolicy"/>),
/// translates each run and releases it, then returns the buffers and notifies the driver once.
/// Guest input never throws: it is counted in <see cref="Counters"/>, logged (rate-limited) and skipped.
/// Only frames that became ballooned in this very batch are ever released (and, after a worker restart, the frames of
/// the crash record: <see cref="AttachRecord"/>, <see cref="ReleaseRecorded"/>).
/// All entry points lock the device; they may be called from different threads.
/// </remarks>
public sealed partial class BalloonDevice : IVirtioDevice
{
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private readonly XBitmap _ballooned = new();   // every 4 KiB frame the guest has inflated and not deflated
    private readonly PendingRuns _pending = new(); // frames recorded in this drain, not yet released
    private readonly ReleaseWorker _releaser;      // deferred releases (DeferRelease with MUST_TELL_HOST)
    private readonly HostRange[] _pageBatch = new HostRange[PerPageBatch]; // per-page releases, a batch at a time
    private readonly DeviceQueue?[] _queues;
    private Descriptor[] _descriptors = [];
    private ushort[] _heads = [];
    private HostRange[] _pieces = [];              // one run's translation: a piece per region
    private GuestMemory? _memory;
    private ulong _negotiated;
    private uint _numPages;   // num_pages: the host's target, in 4 KiB pages
    private uint _actual;     // actual: what the guest says it holds
    private long _actualWrittenUnixUs; // when the driver last wrote actual (host clock)
    private ushort? _heldStats;
    private bool _featuresSet;                     // the driver has accepted features since creation or reset
    private uint _poisonValue;                     // poison_val, as the driver wrote it (BalloonDevice.Reporting.cs)
    private BalloonRecord? _record;                // the crash record, mirrored inside the lock (BalloonDevice.Record.cs)
    private readonly int[] _replayWindow = new int[2]; // chains left that may be replays, per inflate/deflate queue

    /// <summary>Creates a device with <paramref name="options"/>; it does nothing until memory and queues are attached.</summary>
    public BalloonDevice(BalloonDeviceOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        OfferedFeatures = OfferedFeaturesFor(options);
        QueueCount = BalloonQueue.Count(OfferedFeatures);
        ConfigSize = ConfigSizeFor(options);
        _queues = new DeviceQueue?[QueueCount];
        _releaser = new ReleaseWorker(ReleaseOffThread, () => ReleasesDrained?.Invoke());
    }

    /// <summary>The configuration this device was built with.</summary>
    public BalloonDeviceOptions Options { get; }

    /// <summary>Device feature bits offered to the driver.</summary>
    public ulong OfferedFeatures { get; }

    /// <summary>Features both sides agreed on (after <see cref="SetDriverFeatures"/>).</summary>
    public ulong NegotiatedFeatures => _negotiated;

    /// <summary>True if the driver accepted the SG feature.</summary>
    public bool SgNegotiated => VirtioFeatures.Has(_negotiated, Options.SgBit) && Options.ScatterGather;

    /// <summary>
    /// Number of virtqueues the driver may use at most (vhost-user GET_QUEUE_NUM, QEMU's num_vqs): inflate, deflate,
    /// stats if offered, reporting if offered. Which index is which follows the negotiation (<see cref="RoleOf"/>).
    /// </summary>
    public int QueueCount { get; }

    /// <summary>
    /// The features the queues are numbered by (VIRTIO 1.2 §5.5.2): the negotiated ones once the driver has accepted
    /// features, the offered ones before that (and after a reset), so a queue set up early gets the fullest layout.
    /// </summary>
    public ulong QueueLayoutFeatures
    {
        get
        {
            lock (_lock)
                return LayoutFeatures;
        }
    }

    private ulong LayoutFeatures => _featuresSet ? _negotiated : OfferedFeatures;

    /// <summary>What queue <paramref name="index"/> carries now (<see cref="QueueLayoutFeatures"/>).</summary>
    public BalloonQueueRole RoleOf(int index)
    {
        lock (_lock)
            return BalloonQueue.RoleOf(index, LayoutFeatures);
    }

    /// <summary>Index of the stats queue now, or -1 if there is none.</summary>
    private int StatsIndex => BalloonQueue.RoleOf(BalloonQueue.Stats, LayoutFeatures) == BalloonQueueRole.Stats ? BalloonQueue.Stats : -1;

    /// <summary>What the device did and how much bad input it saw.</summary>
    public BalloonCounters Counters { get; } = new();

    /// <summary>Raised (outside the device lock) when the target changes: the transport sends a config interrupt.</summary>
    public event Action? ConfigChanged;

    /// <summary>
    /// Raised (outside the device lock, on the writer's thread) each time <c>actual</c> is written — by the driver
    /// (<see cref="WriteConfig"/>) or by a <see cref="Reset"/> — whether or not its value changed.
    /// </summary>
    public event Action? ActualChanged;

    /// <summary>
    /// Raised (on the release thread) each time the deferred releases have all been done: <see cref="PendingReleaseBytes"/>
    /// fell to 0. Never raised unless releases are deferred (<see cref="ReleaseDeferred"/>).
    /// </summary>
    public event Action? ReleasesDrained;

    /// <summary>
    /// Raised (outside the device lock) when the inflate queue is attached: the transport started the driver's first
    /// ring, which it does once the driver is ready (vhost-user starts rings after the guest set DRIVER_OK). Raised
    /// again when the ring is restarted (a renegotiation or a new guest).
    /// </summary>
    public event Action? DriverReady;

    /// <summary>The guest's last statistics, or null before the first buffer.</summary>
    public BalloonStatistics? Statistics { get; private set; }

    /// <summary>num_pages: the target balloon size in 4 KiB pages (set by the host).</summary>
    public uint NumPages => Volatile.Read(ref _numPages);

    /// <summary>actual: the balloon size the guest reports, in 4 KiB pages.</summary>
    public uint Actual => Volatile.Read(ref _actual);

    /// <summary>
    /// When the driver last wrote <c>actual</c>: microseconds since the Unix epoch on the host's clock, 0 before its
    /// first write. A client can time an inflate from its own request to this instant, without polling error.
    /// </summary>
    public long ActualWrittenUnixUs => Volatile.Read(ref _actualWrittenUnixUs);

    /// <summary>
    /// True if releases are deferred now: <see cref="BalloonDeviceOptions.DeferRelease"/> and the driver accepted
    /// MUST_TELL_HOST.
    /// </summary>
    public bool ReleaseDeferred => Options.DeferRelease && VirtioFeatures.Has(_negotiated, BalloonFeatures.MustTellHost);

    /// <summary>
    /// Bytes of ballooned memory whose buffers were returned but whose release is still queued or running (0
    /// unless <see cref="ReleaseDeferred"/>). Host memory reflects the balloon once this is 0.
    /// </summary>
    public long PendingReleaseBytes => _releaser.PendingBytes;

    /// <summary>Blocks until every deferred release has been done (at once if none is queued).</summary>
    public void WaitForReleases() => _releaser.WaitIdle();

    /// <summary>Frames the device saw inflated and not deflated.</summary>
    public ulong BalloonedPages
    {
        get
        {
            lock (_lock)
                return _ballooned.Count;
        }
    }

    /// <summary>Bytes the ballooned-frame bitmaps hold (tracking memory).</summary>
    public long TrackingBytes
    {
        get
        {
            lock (_lock)
                return _ballooned.MemoryBytes + _pending.MemoryBytes;
        }
    }

    /// <summary>Host ranges the device's translation scratch arrays hold (test hook: must not follow guest input).</summary>
    internal int ScratchCapacity => _pieces.Length + _pageBatch.Length;

    /// <summary>Runs the pending-release list has room for (test hook: must not follow guest input).</summary>
    internal int PendingRunCapacity => _pending.Capacity;

    /// <summary>
    /// Guest RAM, or null before the transport provided it. With a crash record attached, the record grows to cover
    /// the highest frame of the new RAM (up to <see cref="BalloonRecord.MaxFrameCapacity"/>).
    /// </summary>
    public GuestMemory? Memory
    {
        get => _memory;
        set
        {
            lock (_lock)
            {
                // Queued releases use the old mapping's fds: finish them before it goes.
                _releaser.WaitIdle();
                _memory = value;
                _pieces = new HostRange[value?.Regions.Count ?? 0];
                CoverGuestRam();
            }
        }
    }

    /// <summary>True if frame <paramref name="pfn"/> is ballooned.</summary>
    public bool IsBallooned(ulong pfn)
    {
        lock (_lock)
            return _ballooned.Test(pfn);
    }

    /// <summary>Accepts the driver's features: keeps only what was offered (VIRTIO 1.2 §2.2).</summary>
    public void SetDriverFeatures(ulong driverFeatures)
    {
        lock (_lock)
        {
            var unknown = driverFeatures & ~OfferedFeatures;
            if (unknown != 0)
                BalloonLog.FeaturesNotOffered(_logger, unknown);
            var statsBefore = StatsIndex;
            _negotiated = driverFeatures & OfferedFeatures;
            _featuresSet = true;
            // A held stats buffer belongs to the stats queue; if the numbering moved it away (a driver that set up
            // queues before FEATURES_OK, §3.1.1), forget it: detaching that ring still winds back over it.
            if (StatsIndex != statsBefore)
                _heldStats = null;
        }
    }

    /// <summary>Attaches (or with null detaches) the device side of queue <paramref name="index"/>.</summary>
    public void AttachQueue(int index, DeviceQueue? queue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, QueueCount);
        lock (_lock)
        {
            // A stopped queue may precede a guest reset or a memory change: nothing stays queued past it.
            if (queue is null)
                _releaser.WaitIdle();
            _queues[index] = queue;
            if (queue is not null && queue.Size > _descriptors.Length)
            {
                _descriptors = new Descriptor[queue.Size];
                _heads = new ushort[queue.Size];
            }
            if (index == StatsIndex)
                _heldStats = null;
        }
        if (queue is not null && index == BalloonQueue.Inflate)
            DriverReady?.Invoke();
    }

    /// <summary>
    /// Detaches queue <paramref name="index"/> and returns where a restarted queue should resume reading the
    /// available ring, or null if none was attached. Buffers the device still holds — the one stats buffer it keeps
    /// until it wants fresh numbers — count as not consumed: the position is wound back over them, so a restarted
    /// ring hands them out again instead of losing them (vhost-user GET_VRING_BASE). Read and detached in one step
    /// under the device lock, so a concurrent <see cref="RequestStatistics"/> either returned the buffer before
    /// (nothing is wound back) or finds no queue.
    /// </summary>
    public ushort? DetachQueue(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, QueueCount);
        lock (_lock)
        {
            var queue = _queues[index];
            if (queue is null)
                return null;
            var held = (ushort)(queue.NextAvail - queue.NextUsed);
            var resume = held <= queue.Size ? (ushort)(queue.NextAvail - held) : queue.NextAvail;
            AttachQueue(index, null);
            return resume;
        }
    }

    /// <summary>The queue at <paramref name="index"/>, or null.</summary>
    public DeviceQueue? GetQueue(int index)
    {
        lock (_lock)
            return index >= 0 && index < QueueCount ? _queues[index] : null;
    }

    /// <summary>
    /// Device reset (VIRTIO 1.2 §2.4): queues detached, features cleared (the queues numbered by the offered features
    /// again), poison_val 0. The guest's balloon is gone with its driver, so every frame counts as returned; the host
    /// target is kept. The crash record is cleared with the bitmap
    /// (and its actual set to 0), and any replay window closed.
    /// </summary>
    public void Reset()
    {
        lock (_lock)
        {
            // After a reset the guest owns all its memory again: no release may land after this returns.
            _releaser.WaitIdle();
            Array.Clear(_queues);
            _negotiated = 0;
            _featuresSet = false;
            _poisonValue = 0;
            _ballooned.Reset();
            _pending.Clear();
            _heldStats = null;
            Volatile.Write(ref _actual, 0);
            Array.Clear(_replayWindow);
            if (_record is not null)
            {
                _record.ClearAll();
                _record.ActualPages = 0;
                _record.PoisonValue = 0;
            }
        }
        ActualChanged?.Invoke();
    }

    /// <summary>
    /// Sets num_pages (the target; also in the crash record, if attached) and raises <see cref="ConfigChanged"/> if it
    /// changed.
    /// </summary>
    public void SetTargetPages(uint pages)
    {
        bool changed;
        lock (_lock)
        {
            changed = _numPages != pages;
            Volatile.Write(ref _numPages, pages);
            if (_record is not null)
                _record.TargetPages = pages;
            if (changed)
                Counters.ConfigChanges++;
        }
        if (changed)
            ConfigChanged?.Invoke();
    }

    /// <summary>
    /// How many descriptor chains one pass of <see cref="ProcessQueue(int, int)"/> takes at most by default: a
    /// guest that keeps publishing buffers must not keep the device lock (and the transport's event loop) forever.
    /// </summary>
    public const int DefaultChainBudget = IVirtioDevice.DefaultChainBudget;

    /// <summary>
    /// Processes everything available on queue <paramref name="index"/> (call on a kick), one bounded pass after
    /// another, with the device lock dropped between passes. Returns false if the queue is broken (the transport
    /// should signal DEVICE_NEEDS_RESET). A transport with other work to attend to (an event loop serving
    /// front-end messages) calls <see cref="ProcessQueue(int, int)"/> instead and comes back when it is free.
    /// </summary>
    public bool ProcessQueue(int index)
    {
        while (true)
        {
            var progress = ProcessQueue(index, DefaultChainBudget);
            if (progress != QueueProgress.MoreAvailable)
                return progress != QueueProgress.Broken;
        }
    }

    /// <summary>
    /// One bounded pass over queue <paramref name="index"/>: at most <paramref name="maxChains"/> descriptor
    /// chains (rounded up to whole batches of the inflate/deflate queues), under the device lock. The used-buffer
    /// notification is sent after the lock is dropped, so a front-end's eventfd can never stall the device.
    /// </summary>
    /// <returns><see cref="QueueProgress.MoreAvailable"/> if the budget ran out with buffers still available: call
    /// again, no kick will come for them.</returns>
    public QueueProgress ProcessQueue(int index, int maxChains)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChains);
        EventFd? call;
        QueueProgress progress;
        lock (_lock)
        {
            var queue = index >= 0 && index < QueueCount ? _queues[index] : null;
            if (queue is null || _memory is null)
                return QueueProgress.Idle;
            Counters.Kicks++;
            bool notify;
            switch (BalloonQueue.RoleOf(index, LayoutFeatures))
            {
                case BalloonQueueRole.Inflate or BalloonQueueRole.Deflate:
                    notify = ProcessPages(queue, inflate: index == BalloonQueue.Inflate, maxChains, out progress);
                    break;
                case BalloonQueueRole.Stats:
                    notify = ProcessChainByChain(queue, BalloonQueueRole.Stats, maxChains, out progress);
                    break;
                case BalloonQueueRole.Reporting:
                    notify = ProcessChainByChain(queue, BalloonQueueRole.Reporting, maxChains, out progress);
                    break;
                default:
                    // A queue the negotiated features do not have (the driver set up one it did not accept): not ours to read.
                    return QueueProgress.Idle;
            }
            if (queue.IsBroken)
            {
                if (GuestError(BalloonError.QueueBroken, out var nth))
                    BalloonLog.QueueBroken(_logger, BalloonError.QueueBroken, nth, index, queue.BrokenReason);
                return QueueProgress.Broken;
            }
            call = notify ? queue.Call : null;
        }
        Notify(call);
        return progress;
    }

    /// <summary>
    /// Signals a used-buffer notification outside the device lock. The eventfd is the front-end's: if it cannot
    /// be written (a broken descriptor) that is logged, not thrown into the data path.
    /// </summary>
    private void Notify(EventFd? call)
    {
        if (call is null)
            return;
        try
        {
            call.Signal();
        }
        catch (SyscallException e)
        {
            BalloonLog.NotifyFailed(_logger, e.Message);
        }
    }

    /// <summary>
    /// Counts a guest error of <paramref name="kind"/> and says whether to log it: the caller then writes its
    /// <see cref="BalloonLog"/> line with <paramref name="nth"/>, the number of errors of this kind so far.
    /// </summary>
    private bool GuestError(BalloonError kind, out long nth)
    {
        Counters.AddError(kind);
        nth = Counters.Errors(kind);
        // Rate-limit: a hostile guest must not flood the log. First ten of each kind, then every 1000th.
        return nth <= 10 || nth % 1000 == 0;
    }

    /// <summary>
    /// Config space, VIRTIO 1.2 §5.5.4 "Device configuration layout", little-endian even for legacy:
    /// <code>
    ///  0           4          8                        12           16
    ///  +-----------+----------+------------------------+------------+
    ///  | num_pages | actual   | free_page_hint_cmd_id  | poison_val |   le32 each
    ///  +-----------+----------+------------------------+------------+
    ///  |&lt;- always (8 bytes) -&gt;|&lt;- only with PAGE_POISON or PAGE_REPORTING offered -&gt;|
    /// </code>
    /// free_page_hint_cmd_id reads 0 (FREE_PAGE_HINT is never offered); poison_val reads what the driver wrote. Reads
    /// outside <see cref="ConfigSize"/> bytes return zeros.
    /// </summary>
    public void ReadConfig(uint offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[FullConfigSize];
        config.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(config, NumPages);
        BinaryPrimitives.WriteUInt32LittleEndian(config[ActualOffset..], Actual);
        BinaryPrimitives.WriteUInt32LittleEndian(config[PoisonValueOffset..], PoisonValue);
        data.Clear();
        if (offset < ConfigSize)
        {
            var n = Math.Min(data.Length, ConfigSize - (int)offset);
            config.Slice((int)offset, n).CopyTo(data);
        }
    }

    /// <summary>
    /// A driver write to config space. Only the bytes of <c>actual</c> and (if the config space has it)
    /// <c>poison_val</c> are taken; num_pages is the device's (and vhost-user's SET_CONFIG carries a stale copy of it),
    /// free_page_hint_cmd_id is read-only. Partial writes update the bytes they cover. The new actual and poison_val go
    /// into the crash record too, if one is attached.
    /// </summary>
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            Span<byte> config = stackalloc byte[FullConfigSize];
            BinaryPrimitives.WriteUInt32LittleEndian(config[ActualOffset..], _actual);
            BinaryPrimitives.WriteUInt32LittleEndian(config[PoisonValueOffset..], _poisonValue);
            bool actual = false, poison = false;
            for (var i = 0; i < data.Length; i++)
            {
                var at = (long)offset + i;
                if (at is >= ActualOffset and < ActualOffset + 4)
                    actual = true;
                else if (at >= PoisonValueOffset && at < Math.Min(ConfigSize, PoisonValueOffset + 4))
                    poison = true;
                else
                    continue;
                config[(int)at] = data[i];
            }
            if (actual)
            {
                Volatile.Write(ref _actual, BinaryPrimitives.ReadUInt32LittleEndian(config[ActualOffset..]));
                Volatile.Write(ref _actualWrittenUnixUs, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
                if (_record is not null)
                    _record.ActualPages = _actual;
            }
            if (poison)
                SetPoisonValue(BinaryPrimitives.ReadUInt32LittleEndian(config[PoisonValueOffset..]));
            if (!actual)
                return;
        }
        ActualChanged?.Invoke();
    }

    private const int ActualOffset = 4, PoisonValueOffset = 12;

    /// <summary>Bytes of config space without PAGE_POISON and PAGE_REPORTING: num_pages and actual.</summary>
    public const int BasicConfigSize = 8;

    /// <summary>Bytes of the whole struct virtio_balloon_config, up to poison_val.</summary>
    public const int FullConfigSize = 16;

    /// <summary>
    /// Bytes of config space the device exposes (QEMU's config_size): <see cref="FullConfigSize"/> if PAGE_POISON or
    /// PAGE_REPORTING is offered, else <see cref="BasicConfigSize"/>.
    /// </summary>
    public int ConfigSize { get; }

    /// <summary>The feature bits a device built with <paramref name="options"/> offers.</summary>
    public static ulong OfferedFeaturesFor(BalloonDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return VirtioFeatures.Bit(VirtioFeatures.Version1)
            | (options.MustTellHost ? VirtioFeatures.Bit(BalloonFeatures.MustTellHost) : 0)
            | (options.StatsQueue ? VirtioFeatures.Bit(BalloonFeatures.StatsVq) : 0)
            | (options.DeflateOnOom ? VirtioFeatures.Bit(BalloonFeatures.DeflateOnOom) : 0)
            | (options.PagePoison ? VirtioFeatures.Bit(BalloonFeatures.PagePoison) : 0)
            | (options.PageReporting ? VirtioFeatures.Bit(BalloonFeatures.PageReporting) : 0)
            | (options.ScatterGather ? VirtioFeatures.Bit(options.SgBit) : 0)
            | (options.EventIdx ? VirtioFeatures.Bit(VirtioFeatures.EventIdx) : 0)
            | (options.IndirectDescriptors ? VirtioFeatures.Bit(VirtioFeatures.IndirectDesc) : 0);
    }

    /// <summary>
    /// The queues a device built with <paramref name="options"/> has (QEMU's num_vqs): the most a driver can use,
    /// every offered queue feature accepted (§5.5.2).
    /// </summary>
    public static int QueueCountFor(BalloonDeviceOptions options) => BalloonQueue.Count(OfferedFeaturesFor(options));

    /// <summary>The config size a device built with <paramref name="options"/> exposes.</summary>
    public static int ConfigSizeFor(BalloonDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.PagePoison || options.PageReporting ? FullConfigSize : BasicConfigSize;
    }
}
