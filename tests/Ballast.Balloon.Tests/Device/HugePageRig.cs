using System.Runtime.InteropServices;
using Ballast.Balloon.Device;
using Ballast.Linux;
using Ballast.TestKit;
using Ballast.Virtio.Memory;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// A <see cref="BalloonDevice"/> on guest RAM of one <see cref="MemoryBacking"/> (issue #14), driven queue by queue:
/// <code>
/// Ctl  [0, 2M)            fd 0      rings and buffers, a host page of its own
/// D    [2M, 10M)          fd 2M     four whole host pages: H0 = [2M, 4M) … H3 = [8M, 10M)
///      hole [10M, 16M)
/// E    [16M, 19M)         fd 11M    not aligned to a host page: [11M, 12M) and [14M, 14M + 1M) of the file are
///                                   halves of host pages that straddle E's edges; [12M, 14M) is whole (guest 17M)
/// </code>
/// Every data page holds a pattern before the test starts. Holds the host's huge pages (<see cref="HugePageReservation"/>)
/// for its lifetime: a hugetlb rig reserves 16 pages, a THP rig sets shmem_enabled to advise.
/// </summary>
internal sealed class HugePageRig : IDisposable
{
    public const ulong KiB = 1024, MiB = 1024 * KiB, Page = 4096, Huge = 2 * MiB;
    public const ulong FramesPerHuge = Huge / Page;
    public const ulong D = 2 * MiB, DSize = 8 * MiB, E = 16 * MiB, ESize = 3 * MiB, EFdOffset = 11 * MiB;

    /// <summary>The one whole host page of E (file [12M, 14M)).</summary>
    public const ulong EWhole = E + 1 * MiB;

    private const ulong PatternKey = 0xA5A5_A5A5_A5A5_A5A5;
    private readonly HugePageReservation? _reservation;

    public HugePageRig(MemoryBacking backing, BalloonDeviceOptions? options = null, bool mustTellHost = false)
    {
        _reservation = backing switch
        {
            MemoryBacking.Hugetlb => HugePageReservation.Acquire(16),
            MemoryBacking.Thp => HugePageReservation.Acquire(0, "advise"),
            _ => null,
        };
        try
        {
            Memory = GuestMemory.CreateMemfd([(0, Huge, 0), (D, DSize, D), (E, ESize, EFdOffset)], "ballast-hugepage-tests", backing);
            Memory.GetSpan(0, (int)Huge).Clear();
            foreach (var gpa in DataPages())
                WritePattern(gpa);
            Logger = new CapturingLogger();
            options ??= new BalloonDeviceOptions();
            Device = new BalloonDevice(options with { MustTellHost = options.MustTellHost || mustTellHost }, Logger) { Memory = Memory };
            Device.SetDriverFeatures(Device.OfferedFeatures);
            Inflate = new RingBuilder(64, Device.NegotiatedFeatures, Memory, 0x1000, 0x1_0000);
            Deflate = new RingBuilder(64, Device.NegotiatedFeatures, Memory, 0x3000, 0x8_0000);
            Device.AttachQueue(BalloonQueue.Inflate, Inflate.CreateDevice());
            Device.AttachQueue(BalloonQueue.Deflate, Deflate.CreateDevice());
            if (options.PageReporting)
            {
                Reporting = new RingBuilder(64, Device.NegotiatedFeatures, Memory, 0x5000, 0x10_0000);
                Device.AttachQueue(BalloonQueue.Reporting(Device.NegotiatedFeatures), Reporting.CreateDevice());
            }
            Baseline = Memory.AllocatedBytes();
        }
        catch
        {
            _reservation?.Dispose();
            throw;
        }
    }

    public GuestMemory Memory { get; } = null!;

    public BalloonDevice Device { get; } = null!;

    public CapturingLogger Logger { get; } = null!;

    public RingBuilder Inflate { get; } = null!;

    public RingBuilder Deflate { get; } = null!;

    /// <summary>The reporting ring, with <see cref="BalloonDeviceOptions.PageReporting"/>.</summary>
    public RingBuilder? Reporting { get; }

    /// <summary>Host bytes behind guest RAM when the test started.</summary>
    public long Baseline { get; }

    /// <summary>The host page size of the data regions.</summary>
    public ulong HostPage => Memory.Regions[1].HostPageSize;

    /// <summary>Host bytes given back since the rig was built (by st_blocks of the memfd).</summary>
    public long ReleasedBytes => Baseline - Memory.AllocatedBytes();

    /// <summary>Inflates the frames at <paramref name="gpas"/> in one PFN-array buffer and processes the queue.</summary>
    public void InflatePfns(params ulong[] gpas) => Push(Inflate, BalloonQueue.Inflate, gpas);

    /// <summary>Deflates the frames at <paramref name="gpas"/> in one PFN-array buffer and processes the queue.</summary>
    public void DeflatePfns(params ulong[] gpas) => Push(Deflate, BalloonQueue.Deflate, gpas);

    /// <summary>Inflates [gpa, gpa + length) as one SG range and processes the queue.</summary>
    public void InflateRange(ulong gpa, ulong length)
    {
        Inflate.AddChain(DeviceRig.Range(gpa, (uint)length));
        Device.ProcessQueue(BalloonQueue.Inflate);
        DeviceRig.Used(Inflate);
    }

    /// <summary>Reports [gpa, gpa + length) as one free block (device-writable, as Linux adds it) and processes the queue.</summary>
    public void Report(ulong gpa, ulong length)
    {
        Reporting!.AddChain(DeviceRig.Range(gpa, (uint)length));
        Device.ProcessQueue(BalloonQueue.Reporting(Device.NegotiatedFeatures));
        Assert.Single(DeviceRig.Used(Reporting));
    }

    /// <summary>Frames [gpa, gpa + pages·4K) as guest addresses.</summary>
    public static ulong[] Frames(ulong gpa, ulong pages) => [.. Enumerable.Range(0, (int)pages).Select(i => gpa + (ulong)i * Page)];

    /// <summary>True if every byte of the frame reads zero (released, or never written).</summary>
    public bool ReadsZero(ulong gpa) => Memory.GetSpan(gpa, (int)Page).IndexOfAnyExcept((byte)0) < 0;

    /// <summary>True if the frame still holds its pattern.</summary>
    public bool HasPattern(ulong gpa)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(Memory.GetSpan(gpa, (int)Page));
        for (var i = 0; i < words.Length; i++)
            if (words[i] != ((gpa + (ulong)i * sizeof(ulong)) ^ PatternKey))
                return false;
        return true;
    }

    /// <summary>
    /// Exactly the frames of the listed ranges read zero and every other data frame keeps its pattern — checked only
    /// where the release may have changed something: the host pages the ranges lie in.
    /// </summary>
    public void AssertOnlyZero(params (ulong Gpa, ulong Pages)[] ranges)
    {
        var zero = new HashSet<ulong>();
        foreach (var (gpa, pages) in ranges)
            foreach (var f in Frames(gpa, pages))
                zero.Add(f);
        foreach (var gpa in DataPages())
        {
            if (zero.Contains(gpa))
                Assert.True(ReadsZero(gpa), $"released frame 0x{gpa:x} does not read zero");
            else
                Assert.True(HasPattern(gpa), $"frame 0x{gpa:x} lost its contents but was not released");
        }
    }

    /// <summary>Writes the frame's pattern again (the guest using a frame it took back).</summary>
    public void WritePattern(ulong gpa)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(Memory.GetSpan(gpa, (int)Page));
        for (var i = 0; i < words.Length; i++)
            words[i] = (gpa + (ulong)i * sizeof(ulong)) ^ PatternKey;
    }

    /// <summary>Every frame of D and E.</summary>
    public static IEnumerable<ulong> DataPages() => Frames(D, DSize / Page).Concat(Frames(E, ESize / Page));

    public void Dispose()
    {
        Inflate?.Dispose();
        Deflate?.Dispose();
        Reporting?.Dispose();
        Memory?.Dispose();
        _reservation?.Dispose();
    }

    private void Push(RingBuilder ring, int queue, ulong[] gpas)
    {
        // At most 1024 PFNs a buffer, as a guest might send them; several buffers in one kick.
        foreach (var chunk in gpas.Chunk(1024))
            DeviceRig.AddPfns(ring, [.. chunk.Select(DeviceRig.PfnOf)]);
        Device.ProcessQueue(queue);
        DeviceRig.Used(ring);
    }
}
