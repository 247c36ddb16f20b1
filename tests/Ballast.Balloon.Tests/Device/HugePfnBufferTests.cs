using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Memory;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// One PFN-array descriptor may be as long as its le32 len allows (VIRTIO 1.2 §2.7.5), up to 4 GiB of PFNs, as long
/// as it lies in RAM. The device's memory must not follow that length: a Linux guest sends 256 PFNs per buffer
/// (VIRTIO_BALLOON_ARRAY_PFNS_MAX), a hostile one can send a billion, and the per-page release policy used to size
/// its translation scratch array from the descriptor (about 40 GB for a 4 GiB descriptor).
/// </summary>
public sealed class HugePfnBufferTests
{
    /// <summary>Guest RAM: the QEMU layout, rings and the PFN buffer in the low region, 128 MiB of data above 1 MiB.</summary>
    private const ulong RamBytes = 129 * MiB;

    /// <summary>The data the buffer names: every page of [1 MiB, 129 MiB), 32768 PFNs in one 128 KiB descriptor.</summary>
    private const int DataPages = (int)(128 * MiB / Page);

    [Theory]
    [InlineData(ReleasePolicy.PerPage)]
    [InlineData(ReleasePolicy.Coalesce)]
    public void Inflate_OneHugePfnDescriptor_KeepsScratchBounded_AndReleasesEveryPage(ReleasePolicy release)
    {
        using var memory = GuestMemory.CreateMemfd(RamBytes, "ballast-huge-pfn-buffer");
        var device = new BalloonDevice(new BalloonDeviceOptions { Release = release }) { Memory = memory };
        device.SetDriverFeatures(device.OfferedFeatures);
        using var ring = new RingBuilder(16, device.NegotiatedFeatures, memory, 0x1000, 0x1_0000);
        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());
        Assert.True(memory.Populate(GuestMemory.LowHoleEnd, 128 * MiB), "MADV_POPULATE_WRITE is needed to measure the release");
        var pfns = Pfns(GuestMemory.LowHoleEnd, DataPages);
        Random.Shared.Shuffle(pfns);
        var head = AddPfns(ring, pfns);
        var before = memory.AllocatedBytes();

        Assert.True(device.ProcessQueue(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(ring));
        // A chunk of PFNs plus one translation per region, whatever the descriptor's length.
        Assert.InRange(device.ScratchCapacity, 1, 1024 + memory.Regions.Count);
        Assert.Equal(DataPages, device.Counters.PagesInflated);
        Assert.Equal((ulong)DataPages, device.BalloonedPages);
        Assert.Equal((long)(128 * MiB), device.Counters.BytesReleased);
        Assert.Equal((long)(128 * MiB), before - memory.AllocatedBytes());
        if (release == ReleasePolicy.PerPage)
            Assert.Equal(DataPages, device.Counters.ReleaseCalls);
        Assert.Equal(0, device.Counters.TotalErrors);
    }

    /// <summary>
    /// Coalescing keeps the frames of one drain as runs until the drain ends. Every other frame of guest RAM is a run
    /// of its own, so without a bound the list grows with the guest's input up to one 16-byte run per 8 KiB of RAM
    /// (plus the sorted copy): 65537 isolated frames in one descriptor must not take more than the cap.
    /// </summary>
    [Fact]
    public void Inflate_EveryOtherFrame_KeepsPendingRunsBounded_AndReleasesEveryFrame()
    {
        const int Frames = 65537;
        using var memory = GuestMemory.CreateMemfd(GuestMemory.LowHoleEnd + 2 * Frames * Page, "ballast-isolated-frames");
        var device = new BalloonDevice(new BalloonDeviceOptions { Release = ReleasePolicy.Coalesce }) { Memory = memory };
        device.SetDriverFeatures(device.OfferedFeatures);
        using var ring = new RingBuilder(16, device.NegotiatedFeatures, memory, 0x1000, 0x1_0000);
        device.AttachQueue(BalloonQueue.Inflate, ring.CreateDevice());
        var pfns = Enumerable.Range(0, Frames).Select(i => PfnOf(GuestMemory.LowHoleEnd + 2 * (ulong)i * Page)).ToArray();
        var head = AddPfns(ring, pfns);

        Assert.True(device.ProcessQueue(BalloonQueue.Inflate));

        Assert.Equal([new UsedElement(head, 0)], Used(ring));
        Assert.InRange(device.PendingRunCapacity, 1, 65536);
        Assert.Equal(Frames, device.Counters.PagesInflated);
        Assert.Equal(Frames, device.Counters.ReleaseCalls);
        Assert.Equal(Frames * (long)Page, device.Counters.BytesReleased);
        Assert.Equal(0, device.Counters.TotalErrors);
    }
}
