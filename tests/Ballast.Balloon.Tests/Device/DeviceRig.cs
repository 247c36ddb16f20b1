using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// A <see cref="BalloonDevice"/> driven directly, queue by queue, by <see cref="RingBuilder"/>s over guest RAM
/// with several regions and holes (one memfd; file offsets deliberately out of guest order):
/// <code>
/// Ctl  [0, 256K)              fd 0      rings (inflate 0x1000, deflate 0x3000, stats 0x5000, reporting 0x7000) and buffers
///      hole [256K, 1M)
/// A    [1M, 1M+256K)          fd 256K   PFN 0x100..0x13f   ┐ adjacent in guest space,
/// B    [1M+256K, 1M+512K)     fd 768K   PFN 0x140..0x17f   ┘ not in the file
///      hole [1M+512K, 4G)
/// C    [4G, 4G+256K)          fd 512K   PFN 0x100000..0x10003f
///      hole up to 2^64 − 128K
/// Top  [2^64−128K, 2^64−64K)  fd 1M     beyond any 32-bit PFN: SG only (left out with top: false)
/// </code>
/// Before the test starts every page of the memfd is allocated and every page of A, B, C and Top holds a
/// pattern, so <see cref="AssertReleased"/> can check that exactly the expected frames went back to the host.
/// </summary>
internal sealed class DeviceRig : IDisposable
{
    public const ulong KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, Page = 4096;
    public const ulong Ctl = 0, CtlSize = 256 * KiB;
    public const ulong A = 1 * MiB, B = A + RegionSize, C = 4 * GiB, Top = 0xFFFF_FFFF_FFFE_0000;
    public const ulong RegionSize = 256 * KiB, TopSize = 64 * KiB;

    /// <summary>A hole between Ctl and A, and the hole after B.</summary>
    public const ulong LowHole = 0x4_0000, HoleAfterB = B + RegionSize;

    /// <summary>Largest queue size the ring areas have room for.</summary>
    public const int MaxQueueSize = 128;

    private const ulong PatternKey = 0x5A5A_5A5A_5A5A_5A5A;

    public DeviceRig(BalloonDeviceOptions? options = null, ulong? driverFeatures = null, int queueSize = 16, bool top = true)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(queueSize, MaxQueueSize);
        List<(ulong, ulong, ulong)> layout =
        [
            (Ctl, CtlSize, 0),
            (A, RegionSize, 256 * KiB),
            (B, RegionSize, 768 * KiB),
            (C, RegionSize, 512 * KiB),
        ];
        if (top)
            layout.Add((Top, TopSize, 1 * MiB));
        Memory = GuestMemory.CreateMemfd(layout, "ballast-device-tests");
        Memory.GetSpan(Ctl, (int)CtlSize).Clear();   // allocate every control page up front
        foreach (var gpa in DataPages())
            WritePattern(gpa);

        Logger = new CapturingLogger();
        Device = new BalloonDevice(options ?? new BalloonDeviceOptions(), Logger) { Memory = Memory };
        Device.SetDriverFeatures(driverFeatures ?? Device.OfferedFeatures);
        Inflate = new RingBuilder(queueSize, Device.NegotiatedFeatures, Memory, 0x1000, 0x1_0000);
        Deflate = new RingBuilder(queueSize, Device.NegotiatedFeatures, Memory, 0x3000, 0x2_0000);
        Device.AttachQueue(BalloonQueue.Inflate, Inflate.CreateDevice());
        Device.AttachQueue(BalloonQueue.Deflate, Deflate.CreateDevice());
        if (Device.RoleOf(BalloonQueue.Stats) == BalloonQueueRole.Stats)
        {
            Stats = new RingBuilder(queueSize, Device.NegotiatedFeatures, Memory, 0x5000, 0x3_0000);
            Device.AttachQueue(BalloonQueue.Stats, Stats.CreateDevice());
        }
        ReportingIndex = BalloonQueue.Reporting(Device.QueueLayoutFeatures);
        if (Device.RoleOf(ReportingIndex) == BalloonQueueRole.Reporting)
        {
            Reporting = new RingBuilder(queueSize, Device.NegotiatedFeatures, Memory, 0x7000, 0x3_8000);
            Device.AttachQueue(ReportingIndex, Reporting.CreateDevice());
        }
        Baseline = Memory.AllocatedBytes();
        var fileBytes = (long)(CtlSize + 3 * RegionSize + (top ? TopSize : 0));
        if (Baseline != fileBytes)
            throw new InvalidOperationException($"expected the whole memfd ({fileBytes} bytes) allocated, st_blocks says {Baseline}");
    }

    public GuestMemory Memory { get; }

    public BalloonDevice Device { get; }

    public BalloonCounters Counters => Device.Counters;

    public CapturingLogger Logger { get; }

    public RingBuilder Inflate { get; }

    public RingBuilder Deflate { get; }

    /// <summary>The stats ring, or null when the device has no stats queue.</summary>
    public RingBuilder? Stats { get; }

    /// <summary>The reporting ring, or null when the negotiated features have no reporting queue.</summary>
    public RingBuilder? Reporting { get; }

    /// <summary>The reporting queue's index with the negotiated features (whether or not there is one).</summary>
    public int ReportingIndex { get; }

    /// <summary>Host bytes allocated behind guest RAM when the test started (the whole memfd).</summary>
    public long Baseline { get; }

    public static DeviceRig Pfn(ReleasePolicy release = ReleasePolicy.Coalesce, bool top = true) =>
        new(new BalloonDeviceOptions { Release = release }, top: top);

    public static DeviceRig Sg(ReleasePolicy release = ReleasePolicy.Coalesce) =>
        new(new BalloonDeviceOptions { ScatterGather = true, Release = release });

    /// <summary>The 32-bit PFN of <paramref name="gpa"/> (VIRTIO_BALLOON_PFN_SHIFT 12).</summary>
    public static uint PfnOf(ulong gpa) => checked((uint)(gpa >> 12));

    /// <summary>PFNs of <paramref name="pages"/> consecutive frames from <paramref name="gpa"/>.</summary>
    public static uint[] Pfns(ulong gpa, int pages) => [.. Enumerable.Range(0, pages).Select(i => PfnOf(gpa + (ulong)i * Page))];

    /// <summary>An SG element as the seed adds it: one device-writable descriptor per range.</summary>
    public static BufferSegment Range(ulong gpa, uint length) => new(gpa, length, DeviceWritable: true);

    /// <summary>Writes le32 PFNs (VIRTIO 1.2 §5.5.6) into a fresh buffer of <paramref name="ring"/>; the driver-readable segment.</summary>
    public static BufferSegment PfnArray(RingBuilder ring, params ReadOnlySpan<uint> pfns)
    {
        var length = (uint)(pfns.Length * sizeof(uint));
        var gpa = ring.AllocateBuffer(length, sizeof(uint));
        var bytes = ring.Bytes(gpa, (int)length);
        for (var i = 0; i < pfns.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes[(i * sizeof(uint))..], pfns[i]);
        return new BufferSegment(gpa, length, DeviceWritable: false);
    }

    /// <summary>Publishes one PFN-array buffer on <paramref name="ring"/>; returns its head.</summary>
    public static ushort AddPfns(RingBuilder ring, params ReadOnlySpan<uint> pfns) => ring.AddChain(PfnArray(ring, pfns));

    /// <summary>Writes 10-byte stats entries (le16 tag, le64 val) into a fresh driver-readable buffer.</summary>
    public static BufferSegment StatsEntries(RingBuilder ring, params (ushort Tag, ulong Value)[] entries)
    {
        var length = (uint)(entries.Length * BalloonStatistics.EntrySize);
        var gpa = ring.AllocateBuffer(length);
        var bytes = ring.Bytes(gpa, (int)length);
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[(i * BalloonStatistics.EntrySize)..], entries[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[(i * BalloonStatistics.EntrySize + 2)..], entries[i].Value);
        }
        return new BufferSegment(gpa, length, DeviceWritable: false);
    }

    /// <summary>Everything the device returned on <paramref name="ring"/> since the last call.</summary>
    public static List<UsedElement> Used(RingBuilder ring)
    {
        var used = new List<UsedElement>();
        while (ring.TryTakeUsed(out var element))
            used.Add(element);
        return used;
    }

    /// <summary>Processes queue <paramref name="index"/> as on a kick.</summary>
    public bool Process(int index) => Device.ProcessQueue(index);

    /// <summary>
    /// Exactly the frames of <paramref name="ranges"/> (guest address, pages) were given back since the rig was
    /// built: the memfd's allocation dropped by their bytes, they read zero, every other page keeps its pattern.
    /// </summary>
    public void AssertReleased(params (ulong Gpa, ulong Pages)[] ranges)
    {
        var bytes = 0L;
        foreach (var (_, pages) in ranges)
            bytes += (long)pages * (long)Page;
        Assert.Equal(bytes, Counters.BytesReleased);
        AssertMemoryReleased(ranges);
    }

    /// <summary>
    /// Guest memory shows that exactly the frames of <paramref name="ranges"/> were given back, by whichever device:
    /// the memfd's allocation dropped by their bytes, they read zero, every other page keeps its pattern.
    /// </summary>
    public void AssertMemoryReleased(params (ulong Gpa, ulong Pages)[] ranges)
    {
        var released = new HashSet<ulong>();
        foreach (var (gpa, pages) in ranges)
            for (ulong i = 0; i < pages; i++)
                Assert.True(released.Add(gpa + i * Page), $"0x{gpa + i * Page:x} listed twice");
        var bytes = released.Count * (long)Page;
        Assert.Equal(Baseline - bytes, Memory.AllocatedBytes());
        foreach (var gpa in DataPages())
        {
            if (released.Contains(gpa))
                Assert.True(Memory.GetSpan(gpa, (int)Page).IndexOfAnyExcept((byte)0) < 0, $"released page 0x{gpa:x} does not read zero");
            else
                Assert.True(HasPattern(gpa), $"page 0x{gpa:x} lost its contents but was not ballooned");
        }
        foreach (var gpa in released)
            Assert.True(Memory.FindRegion(gpa) is { GuestPhysAddr: not Ctl }, $"0x{gpa:x} is not a data page");
    }

    /// <summary>Nothing was given back.</summary>
    public void AssertNothingReleased() => AssertReleased();

    /// <summary>
    /// The only guest errors so far are <paramref name="count"/> of <paramref name="kind"/>, and each of the first
    /// ten was logged as a warning (the device rate-limits after that).
    /// </summary>
    public void AssertOnlyError(BalloonError kind, long count = 1)
    {
        Assert.Equal(count, Counters.Errors(kind));
        Assert.Equal(count, Counters.TotalErrors);
        Assert.Equal((int)Math.Min(count, 10), Logger.Warnings($"guest error {kind} (#"));
    }

    /// <summary>No guest error was counted or logged.</summary>
    public void AssertNoErrors()
    {
        Assert.Equal(0, Counters.TotalErrors);
        Assert.Equal(0, Logger.Warnings("guest error"));
    }

    public void Dispose()
    {
        Inflate.Dispose();
        Deflate.Dispose();
        Stats?.Dispose();
        Reporting?.Dispose();
        Memory.Dispose();
    }

    /// <summary>Guest address of every page of the data regions (all but Ctl).</summary>
    public IEnumerable<ulong> DataPages()
    {
        foreach (var r in Memory.Regions)
        {
            if (r.GuestPhysAddr == Ctl)
                continue;
            for (ulong off = 0; off < r.Size; off += Page)
                yield return r.GuestPhysAddr + off;
        }
    }

    /// <summary>Writes the page's pattern again (the guest using a frame it took back).</summary>
    public void WritePattern(ulong gpa)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(Memory.GetSpan(gpa, (int)Page));
        for (var i = 0; i < words.Length; i++)
            words[i] = (gpa + (ulong)i * sizeof(ulong)) ^ PatternKey;
    }

    private bool HasPattern(ulong gpa)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(Memory.GetSpan(gpa, (int)Page));
        for (var i = 0; i < words.Length; i++)
            if (words[i] != ((gpa + (ulong)i * sizeof(ulong)) ^ PatternKey))
                return false;
        return true;
    }
}
