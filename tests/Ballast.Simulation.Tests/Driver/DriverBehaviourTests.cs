using Ballast.Balloon.Device;
using Ballast.Simulation.Driver;
using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Driver;

public class DriverBehaviourTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Deflate_TellsHostBeforePagesAreReused(bool sg)
    {
        // VIRTIO 1.2 §5.5.6.1: with VIRTIO_BALLOON_F_MUST_TELL_HOST "the driver MUST NOT use pages from the balloon
        // until the device has acknowledged the deflate request". The device sees each page while the guest
        // still holds it.
        using var h = new BalloonHarness(64 * MiB, sg);
        Assert.True(VirtioHas(h.Driver.Features, BalloonFeatures.MustTellHost));
        var pages = 4096UL;
        h.Driver.Inflate(pages);
        long seen = 0, reusedEarly = 0;
        h.Device.Observer = (pfn, count, inflate) =>
        {
            if (inflate)
                return;
            for (var p = pfn; p < pfn + count; p++)
            {
                seen++;
                if (!h.Guest.Allocator.IsAllocated(p))
                    reusedEarly++;
            }
        };

        h.Driver.Deflate(pages);

        Assert.Equal((long)pages, seen);
        Assert.Equal(0, reusedEarly);
        Assert.Equal(0UL, h.Device.BalloonedPages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DeflateOnOom_AllocatesNothingAndReturnsOomPages(bool sg)
    {
        using var h = new BalloonHarness(64 * MiB, sg);
        h.Driver.Inflate(2048);
        var allocations = h.Guest.Allocator.Allocations;
        var free = h.Guest.Allocator.FreeFrames;

        var freed = h.Driver.DeflateOnOom();

        Assert.Equal(256UL, freed);
        Assert.Equal(allocations, h.Guest.Allocator.Allocations);
        Assert.Equal(free + 256, h.Guest.Allocator.FreeFrames);
        Assert.Equal(2048UL - 256, h.Device.BalloonedPages);
        Assert.Equal(2048u - 256, h.Device.Actual);
        Assert.Equal(0, h.Device.Counters.TotalErrors);
    }

    [Fact]
    public void DeflateOnOom_WorksWithTheAllocatorExhausted()
    {
        using var h = new BalloonHarness(64 * MiB, sg: true);
        var inflated = h.Driver.Inflate(ulong.MaxValue / 2);   // take every free page there is
        Assert.Equal(0UL, h.Guest.Allocator.FreeFrames);
        Assert.Equal(inflated, h.Device.BalloonedPages);

        var freed = h.Driver.DeflateOnOom();

        Assert.Equal(256UL, freed);
        Assert.Equal(256UL, h.Guest.Allocator.FreeFrames);
        // The seed's OOM path sends single-page entries, one buffer per page.
        Assert.Equal(0, h.Device.Counters.TotalErrors);
    }

    [Fact]
    public void DeflateOnOom_DoesNothingWithoutTheFeature()
    {
        using var h = new BalloonHarness(64 * MiB, device: new BalloonDeviceOptions { ScatterGather = true, DeflateOnOom = false });
        h.Driver.Inflate(1024);

        Assert.Equal(0UL, h.Driver.DeflateOnOom());
        Assert.Equal(1024UL, h.Device.BalloonedPages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MigratePage_InflatesNewThenDeflatesOld(bool sg)
    {
        using var h = new BalloonHarness(64 * MiB, sg);
        h.Driver.Inflate(512);
        var old = h.Driver.Pages[100];
        var events = new List<(ulong Pfn, ulong Count, bool Inflate)>();
        h.Device.Observer = (pfn, count, inflate) => events.Add((pfn, count, inflate));

        var moved = h.Driver.MigratePage(old);

        Assert.NotNull(moved);
        Assert.Equal([(moved.Value, 1UL, true), (old, 1UL, false)], events);
        Assert.True(h.Device.IsBallooned(moved.Value));
        Assert.False(h.Device.IsBallooned(old));
        Assert.False(h.Guest.Allocator.IsAllocated(old));
        Assert.Equal(512UL, h.Device.BalloonedPages);
        Assert.Null(h.Driver.MigratePage(old));
    }

    [Fact]
    public void Sg_PageThatCannotBeRecordedIsSentAlone()
    {
        var faulty = new HashSet<ulong>();
        using var h = new BalloonHarness(64 * MiB, driver: new BalloonDriverOptions
        {
            RecordFault = pfn => pfn % 97 == 0 && faulty.Add(pfn),
        });

        h.Driver.Inflate(4096);

        Assert.NotEmpty(faulty);
        Assert.Equal(faulty.Count, h.Driver.Counters.RecordFallbacks);
        Assert.Equal(4096UL, h.Device.BalloonedPages);
        foreach (var pfn in faulty)
            Assert.True(h.Device.IsBallooned(pfn));
    }

    [Fact]
    public void Sg_SendsOneBufferPerRun()
    {
        using var h = new BalloonHarness(64 * MiB);
        var before = h.Device.Counters.Snapshot();

        h.Driver.Inflate(4096);   // an idle guest hands out contiguous frames

        var buffers = h.Device.Counters.Buffers - before.Buffers;
        Assert.InRange(buffers, 1, 4);
        Assert.Equal(h.Driver.Counters.Buffers, buffers);
    }

    [Fact]
    public void Pfn_SendsAtMost256PfnsPerBuffer()
    {
        using var h = new BalloonHarness(64 * MiB, sg: false);

        h.Driver.Inflate(1000);

        Assert.Equal(4, h.Device.Counters.Buffers);        // 256 + 256 + 256 + 232
        Assert.Equal(4, h.Driver.Counters.ConfigWrites);   // actual after every batch, as Linux
    }

    [Theory]
    [InlineData(true, GuestProfile.Fragmented)]
    [InlineData(false, GuestProfile.Fragmented)]
    [InlineData(true, GuestProfile.Idle)]
    public void Inflate_StopsWhenTheGuestRunsOutAndDeflatesEverything(bool sg, GuestProfile profile)
    {
        using var h = new BalloonHarness(64 * MiB, sg, profile: profile);
        var free = h.Guest.Allocator.FreeFrames;

        var inflated = h.Driver.Inflate(free + 1000);

        Assert.Equal(free, inflated);
        Assert.Equal(free, h.Device.BalloonedPages);
        var ballooned = h.BalloonedNow();
        Assert.Equal(free, h.Driver.Deflate(free + 1000));
        Assert.Equal(free, h.Guest.Allocator.FreeFrames);
        Assert.Equal("ok", h.Guest.CheckIntegrity(ballooned).ToString());
        Assert.Equal(0, h.Device.Counters.TotalErrors);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ZeroOnAlloc_WritesEveryBalloonPage(bool sg)
    {
        using var h = new BalloonHarness(64 * MiB, sg, clean: true, driver: new BalloonDriverOptions { UseScatterGather = sg, ZeroOnAlloc = true });
        var before = h.Guest.HostBytes;

        h.Driver.Inflate(2048);

        // Zeroing faults the pages in; the device then releases them again: net zero host growth.
        Assert.Equal(before, h.Guest.HostBytes);
        Assert.Equal(2048UL, h.Device.BalloonedPages);
    }

    [Fact]
    public void Stats_ReachTheDevice()
    {
        using var h = new BalloonHarness(64 * MiB);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (h.Device.Statistics is null && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        Assert.NotNull(h.Device.Statistics);
        h.Driver.Inflate(1024);
        // Counted, not timed: two updates can carry the same UpdatedAt when the clock is coarse.
        var updates = Interlocked.Read(ref h.Device.Counters.StatsUpdates);

        Assert.True(h.Device.RequestStatistics());
        while (Interlocked.Read(ref h.Device.Counters.StatsUpdates) == updates && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        Assert.True(Interlocked.Read(ref h.Device.Counters.StatsUpdates) > updates, "the guest sent no fresh statistics within 10 s");

        var stats = h.Device.Statistics!;
        Assert.Equal(h.Guest.Allocator.FreeFrames * 4096, stats[StatTag.FreeMemory]);
        Assert.Equal((h.Guest.Allocator.TotalFrames - 1024) * 4096, stats[StatTag.TotalMemory]);
        Assert.Null(stats[StatTag.OomKills]);
    }

    [Theory]
    [InlineData(GuestProfile.Idle)]
    [InlineData(GuestProfile.Fragmented)]
    public void Device_TracksAtMostOneBitPerGuestPagePlusRuns(GuestProfile profile)
    {
        using var h = new BalloonHarness(256 * MiB, sg: true, profile: profile, clean: true);

        h.Driver.Inflate(h.Guest.Allocator.FreeFrames);

        var guestPages = (long)(256 * MiB / 4096);
        var runs = h.Device.Counters.Runs;
        // Bitmap leaves are 32 Kibit: a bit per page of the span they cover, plus tree nodes; the run list is
        // 16 bytes per run of the largest drain. Bound: one bit per guest page + 64 bytes per run + 16 KiB.
        Assert.True(h.Device.TrackingBytes <= guestPages / 8 + 64 * runs + 16384,
            $"tracking {h.Device.TrackingBytes} bytes for {guestPages} pages and {runs} runs");
    }

    private static bool VirtioHas(ulong features, int bit) => (features & (1UL << bit)) != 0;
}
