using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using BenchmarkDotNet.Attributes;

namespace Ballast.Benchmarks.Device;

/// <summary>
/// The balloon device's inflate path for a whole balloon — 1,835,008 frames is 7 GiB — from a ring filled the
/// way a guest fills it, in the three release modes: <see cref="ReleasePolicy.PerPage"/> (QEMU's way, one
/// fallocate per PFN), <see cref="ReleasePolicy.Coalesce"/> (runs across a wake-up's buffers) and SG (the seed:
/// one range per buffer). Each invocation inflates everything on a fresh device.
/// </summary>
/// <remarks>
/// <para>PFN buffers are Linux's: 256 le32 PFNs (VIRTIO_BALLOON_ARRAY_PFNS_MAX) per driver-readable buffer,
/// 7168 buffers for 7 GiB, all written once in global setup. Linux's tell_host() adds one buffer and waits for
/// it, so <see cref="BuffersPerKick"/> = 1 is what a real guest does; 256 publishes a queue's worth per wake-up,
/// which is what Coalesce can merge at most. SG buffers are the seed's: one device-writable range per run, cut
/// at 4 GiB − 4 KiB; the balloon's frames are ascending and contiguous per region (an idle guest).</para>
/// <para>Timed: driver-side publishing (a few stores per buffer), <see cref="BalloonDevice.ProcessQueue(int)"/>
/// (validation, bitmap, translation, release system calls) and collecting the used ring.</para>
/// <code>
/// guest RAM (one memfd, sparse):
///   Ctl  [0, 16 MiB)        rings at 0x1000, PFN arrays from 1 MiB (7 MiB for 7168 buffers)
///   Low  [1 GiB, 3 GiB)     ┐ the balloon: the first Frames frames of Low, then High
///   High [4 GiB, 9 GiB)     ┘
/// </code>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(DeviceBenchmarkConfig))]
public class DeviceInflateBenchmarks : IDisposable
{
    /// <summary>Queue size of the inflate queue (Firecracker's; QEMU uses 128).</summary>
    public const int QueueSize = 256;

    /// <summary>VIRTIO_BALLOON_ARRAY_PFNS_MAX: PFNs per Linux inflate buffer.</summary>
    public const int PfnsPerBuffer = 256;

    private const ulong Page = 4096, MiB = 1UL << 20, GiB = 1UL << 30;
    private const ulong CtlBytes = 16 * MiB, RingArea = 0x1000, PfnArrays = 1 * MiB;
    private static readonly (ulong Gpa, ulong Size, ulong FdOffset)[] s_layout =
    [
        (0, CtlBytes, 0),
        (1 * GiB, 2 * GiB, CtlBytes),
        (4 * GiB, 5 * GiB, CtlBytes + 2 * GiB),
    ];

    private GuestMemory? _memory;
    private RingAddresses _addresses;
    private (ulong Pfn, ulong Count)[] _runs = [];
    private BufferSegment[] _pfnBuffers = [];
    private BufferSegment[] _sgBuffers = [];
    private BalloonDevice? _device;
    private DriverQueue? _driver;
    private string _lastReport = "";

    /// <summary>Frames (4 KiB) the guest balloons: 1 GiB and 7 GiB.</summary>
    [Params(262_144, 1_835_008)]
    public int Frames { get; set; }

    /// <summary>Whether the host holds the frames' memory when the inflate starts.</summary>
    [Params(GuestMemoryState.Untouched, GuestMemoryState.Dirtied)]
    public GuestMemoryState Memory { get; set; }

    /// <summary>Buffers published per device wake-up: 1 as Linux's tell_host(), or a queue's worth.</summary>
    [Params(1, QueueSize)]
    public int BuffersPerKick { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _memory = GuestMemory.CreateMemfd(s_layout, "ballast-bench-device");
        var ring = RingArea;
        var avail = ring + SplitRing.DescriptorTableBytes(QueueSize);
        _addresses = new RingAddresses(ring, avail, (avail + SplitRing.AvailableRingBytes(QueueSize) + 15) / 16 * 16);

        // The balloon: the first Frames frames of Low, then of High, ascending.
        var runs = new List<(ulong Pfn, ulong Count)>();
        var left = (ulong)Frames;
        foreach (var r in _memory.Regions.Skip(1))
        {
            var take = Math.Min(left, r.Size / Page);
            if (take > 0)
                runs.Add((r.GuestPhysAddr / Page, take));
            left -= take;
        }
        if (left != 0)
            throw new InvalidOperationException($"{Frames} frames do not fit the balloon regions");
        _runs = [.. runs];

        // Linux: 256 le32 PFNs per buffer, each buffer its own array (a queue's worth may be in flight).
        var pfns = _runs.SelectMany(r => Enumerable.Range(0, (int)r.Count).Select(i => checked((uint)(r.Pfn + (ulong)i)))).ToArray();
        var buffers = (pfns.Length + PfnsPerBuffer - 1) / PfnsPerBuffer;
        if (PfnArrays + (ulong)buffers * PfnsPerBuffer * sizeof(uint) > CtlBytes)
            throw new InvalidOperationException("PFN arrays do not fit the control region");
        _pfnBuffers = new BufferSegment[buffers];
        for (var b = 0; b < buffers; b++)
        {
            var chunk = pfns.AsSpan(b * PfnsPerBuffer, Math.Min(PfnsPerBuffer, pfns.Length - b * PfnsPerBuffer));
            var gpa = PfnArrays + (ulong)b * PfnsPerBuffer * sizeof(uint);
            var bytes = _memory.GetSpan(gpa, chunk.Length * sizeof(uint));
            for (var i = 0; i < chunk.Length; i++)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[(i * sizeof(uint))..], chunk[i]);
            _pfnBuffers[b] = new BufferSegment(gpa, (uint)bytes.Length, DeviceWritable: false);
        }

        // The seed: one device-writable range per run, at most round_down(UINT_MAX, 4 KiB) bytes.
        const ulong maxPages = BalloonFeatures.MaxSgLength / Page;
        var sg = new List<BufferSegment>();
        foreach (var (pfn, count) in _runs)
            for (ulong done = 0; done < count; done += maxPages)
                sg.Add(new BufferSegment((pfn + done) * Page, (uint)(Math.Min(maxPages, count - done) * Page), DeviceWritable: true));
        _sgBuffers = [.. sg];
    }

    [IterationSetup(Target = nameof(PerPage))]
    public void SetupPerPage() => Prepare(new BalloonDeviceOptions { Release = ReleasePolicy.PerPage });

    [IterationSetup(Target = nameof(Coalesce))]
    public void SetupCoalesce() => Prepare(new BalloonDeviceOptions { Release = ReleasePolicy.Coalesce });

    [IterationSetup(Target = nameof(Sg))]
    public void SetupSg() => Prepare(new BalloonDeviceOptions { ScatterGather = true, Release = ReleasePolicy.Coalesce });

    /// <summary>Linux PFN arrays, one release call per PFN.</summary>
    [Benchmark(Baseline = true)]
    public long PerPage() => Inflate(_pfnBuffers);

    /// <summary>Linux PFN arrays, a wake-up's PFNs merged into runs.</summary>
    [Benchmark]
    public long Coalesce() => Inflate(_pfnBuffers);

    /// <summary>The seed's SG ranges, one buffer per run.</summary>
    [Benchmark]
    public long Sg() => Inflate(_sgBuffers);

    [IterationCleanup]
    public void Check()
    {
        var device = _device!;
        var c = device.Counters;
        if (device.BalloonedPages != (ulong)Frames || c.TotalErrors != 0 || c.BytesReleased != (long)((ulong)Frames * Page))
            throw new InvalidOperationException($"inflate incomplete: {device.BalloonedPages} frames ballooned, {c.TotalErrors} errors, {c.BytesReleased} bytes released");
        var allocated = _memory!.AllocatedBytes();
        if (allocated > (long)CtlBytes)
            throw new InvalidOperationException($"{allocated} bytes still allocated behind guest RAM after the inflate");
        _lastReport = $"buffers {c.Buffers}, kicks {c.Kicks}, runs {c.Runs}, release calls {c.ReleaseCalls}, " +
            $"translate {c.TranslateMs:F1} ms, release {c.ReleaseMs:F1} ms, bitmap {device.TrackingBytes / 1024} KiB";
    }

    [GlobalCleanup]
    public void Dispose()
    {
        if (_lastReport.Length > 0)
            Console.WriteLine($"// device counters, last iteration: {_lastReport}");
        _memory?.Dispose();
        _memory = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>A fresh device and ring; with <see cref="GuestMemoryState.Dirtied"/> the balloon's frames populated.</summary>
    private void Prepare(BalloonDeviceOptions options)
    {
        var memory = _memory!;
        if (Memory == GuestMemoryState.Dirtied)
            foreach (var (pfn, count) in _runs)
                Populate(memory, pfn * Page, count * Page);
        var device = new BalloonDevice(options) { Memory = memory };
        device.SetDriverFeatures(device.OfferedFeatures);
        _driver = new DriverQueue(memory, QueueSize, _addresses, device.NegotiatedFeatures);
        device.AttachQueue(BalloonQueue.Inflate, new DeviceQueue(memory, QueueSize, _addresses, device.NegotiatedFeatures));
        _device = device;
    }

    private long Inflate(BufferSegment[] buffers)
    {
        var device = _device!;
        var driver = _driver!;
        for (var b = 0; b < buffers.Length;)
        {
            var n = Math.Min(BuffersPerKick, buffers.Length - b);
            for (var i = 0; i < n; i++)
                if (driver.TryAdd(buffers.AsSpan(b + i, 1)) < 0)
                    throw new InvalidOperationException("inflate queue full");
            driver.KickIfNeeded();
            if (!device.ProcessQueue(BalloonQueue.Inflate))
                throw new InvalidOperationException("inflate queue broke");
            while (driver.TryGetUsed(out _, out _))
            {
            }
            b += n;
        }
        return device.Counters.ReleaseCalls;
    }

    private static void Populate(GuestMemory memory, ulong gpa, ulong length)
    {
        if (memory.Populate(gpa, length))
            return;
        // Kernels before 5.14 lack MADV_POPULATE_WRITE: touch one byte per page.
        for (ulong off = 0; off < length; off += Page)
            memory.GetSpan(gpa + off, 1)[0] = 1;
    }
}
