using Ballast.Balloon.Device;
using Ballast.TestKit;
using Ballast.Virtio.Queue;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// The stats queue, VIRTIO 1.2 §5.5.6.3: the driver offers one buffer of 10-byte entries (le16 tag, le64 val);
/// "the device ... can request an update by using the buffer" — it holds the buffer until it wants fresh
/// numbers. Tags 0–9 are the spec's, 10–15 Linux ≥ 6.12's; others are ignored and counted.
/// </summary>
public sealed class StatsQueueTests
{
    private static (ushort, ulong)[] AllTags() =>
        [.. Enumerable.Range(0, BalloonStatistics.TagCount).Select(t => ((ushort)t, 1000UL * (ulong)(t + 1)))];

    [Fact]
    public void Stats_ParsesEveryKnownTagByName()
    {
        using var rig = Pfn();
        rig.Stats!.AddChain(StatsEntries(rig.Stats, AllTags()));

        Assert.True(rig.Process(BalloonQueue.Stats));

        var stats = rig.Device.Statistics;
        Assert.NotNull(stats);
        Assert.Equal(1000UL, stats[StatTag.SwapIn]);
        Assert.Equal(2000UL, stats[StatTag.SwapOut]);
        Assert.Equal(3000UL, stats[StatTag.MajorFaults]);
        Assert.Equal(4000UL, stats[StatTag.MinorFaults]);
        Assert.Equal(5000UL, stats[StatTag.FreeMemory]);
        Assert.Equal(6000UL, stats[StatTag.TotalMemory]);
        Assert.Equal(7000UL, stats[StatTag.AvailableMemory]);
        Assert.Equal(8000UL, stats[StatTag.DiskCaches]);
        Assert.Equal(9000UL, stats[StatTag.HugetlbAllocations]);
        Assert.Equal(10000UL, stats[StatTag.HugetlbFailures]);
        Assert.Equal(11000UL, stats[StatTag.OomKills]);
        Assert.Equal(12000UL, stats[StatTag.AllocStalls]);
        Assert.Equal(13000UL, stats[StatTag.AsyncScans]);
        Assert.Equal(14000UL, stats[StatTag.DirectScans]);
        Assert.Equal(15000UL, stats[StatTag.AsyncReclaims]);
        Assert.Equal(16000UL, stats[StatTag.DirectReclaims]);
        Assert.Equal(0, stats.UnknownTags);
        Assert.Equal(1, rig.Counters.StatsUpdates);
        Assert.Equal("free_memory", BalloonStatistics.ApiName(StatTag.FreeMemory));
        Assert.Equal("direct_reclaims", BalloonStatistics.ApiName(StatTag.DirectReclaims));
        Assert.Equal(BalloonStatistics.TagCount, Enum.GetValues<StatTag>().Select(BalloonStatistics.ApiName).Distinct().Count());
        rig.AssertNoErrors();
    }

    [Fact]
    public void Stats_IgnoresAndCountsUnknownTags()
    {
        using var rig = Pfn();
        rig.Stats!.AddChain(StatsEntries(rig.Stats, (16, 1), ((ushort)StatTag.FreeMemory, 4096), (255, 2), (ushort.MaxValue, 3)));

        Assert.True(rig.Process(BalloonQueue.Stats));

        var stats = rig.Device.Statistics!;
        Assert.Equal(3, stats.UnknownTags);
        Assert.Equal(4096UL, stats[StatTag.FreeMemory]);
        Assert.Null(stats[StatTag.TotalMemory]);
        Assert.Null(stats[(StatTag)16]);
        rig.AssertNoErrors();   // unknown tags are the future, not an error
    }

    [Fact]
    public void Stats_LaterEntryWithTheSameTagWins()
    {
        using var rig = Pfn();
        rig.Stats!.AddChain(StatsEntries(rig.Stats, ((ushort)StatTag.MajorFaults, 1), ((ushort)StatTag.MajorFaults, 2)));

        rig.Process(BalloonQueue.Stats);

        Assert.Equal(2UL, rig.Device.Statistics![StatTag.MajorFaults]);
    }

    [Fact]
    public void Stats_EntriesMaySplitAcrossDescriptors()
    {
        // §2.6.4 "Message Framing": even an entry split in the middle must parse.
        using var rig = Pfn();
        var whole = StatsEntries(rig.Stats!, ((ushort)StatTag.SwapIn, 0x0102030405060708), ((ushort)StatTag.DiskCaches, 77));
        rig.Stats!.AddChain(whole with { Length = 13 }, new BufferSegment(whole.Address + 13, 7, DeviceWritable: false));

        rig.Process(BalloonQueue.Stats);

        Assert.Equal(0x0102030405060708UL, rig.Device.Statistics![StatTag.SwapIn]);
        Assert.Equal(77UL, rig.Device.Statistics[StatTag.DiskCaches]);
        rig.AssertNoErrors();
    }

    [Fact]
    public void Stats_BufferIsHeldUntilRequested()
    {
        using var rig = Pfn();
        var head = rig.Stats!.AddChain(StatsEntries(rig.Stats, AllTags()));
        Assert.False(rig.Device.RequestStatistics());   // nothing to return yet

        rig.Process(BalloonQueue.Stats);
        Assert.Empty(Used(rig.Stats));

        Assert.True(rig.Device.RequestStatistics());
        Assert.Equal([new UsedElement(head, 0)], Used(rig.Stats));
        Assert.False(rig.Device.RequestStatistics());   // already returned; the driver has not refilled it
        Assert.Empty(Used(rig.Stats));
    }

    [Fact]
    public void Stats_SecondBufferReplacesTheHeldOne()
    {
        using var rig = Pfn();
        var first = rig.Stats!.AddChain(StatsEntries(rig.Stats, ((ushort)StatTag.FreeMemory, 1)));
        rig.Process(BalloonQueue.Stats);

        var second = rig.Stats.AddChain(StatsEntries(rig.Stats, ((ushort)StatTag.FreeMemory, 2)));
        rig.Process(BalloonQueue.Stats);

        Assert.Equal([new UsedElement(first, 0)], Used(rig.Stats));
        Assert.Equal(2UL, rig.Device.Statistics![StatTag.FreeMemory]);
        Assert.Equal(2, rig.Counters.StatsUpdates);
        Assert.True(rig.Device.RequestStatistics());
        Assert.Equal([new UsedElement(second, 0)], Used(rig.Stats));
    }

    [Fact]
    public void Stats_RequestWithoutStatsQueueReturnsFalse()
    {
        using var rig = new DeviceRig(new BalloonDeviceOptions { StatsQueue = false });

        Assert.Null(rig.Stats);
        Assert.False(rig.Device.RequestStatistics());
        Assert.True(rig.Process(BalloonQueue.Stats));   // no such queue: nothing to do
    }

    [Fact]
    public void Stats_LargestWholeBufferIsAccepted()
    {
        using var rig = Pfn();
        var entries = Enumerable.Range(0, BalloonDevice.MaxStatsBytes / BalloonStatistics.EntrySize)
            .Select(i => ((ushort)(i % 20), (ulong)i)).ToArray();
        rig.Stats!.AddChain(StatsEntries(rig.Stats, entries));

        rig.Process(BalloonQueue.Stats);

        Assert.Equal(404UL, rig.Device.Statistics![StatTag.FreeMemory]);   // 409 entries; the last with tag 4 is i = 404
        rig.AssertNoErrors();
    }

    public static TheoryData<string, bool> BadBuffers => new()
    {
        { "too short", false },
        { "empty", false },
        { "not whole entries", true },
        { "device-writable", false },
        { "longer than 4096", false },
        { "longer than 4096 in two descriptors", false },
        { "outside RAM", false },
    };

    [Theory]
    [MemberData(nameof(BadBuffers))]
    public void Stats_BadBufferIsCountedAndLogged(string kind, bool parsed)
    {
        using var rig = Pfn();
        var ring = rig.Stats!;
        var two = StatsEntries(ring, ((ushort)StatTag.FreeMemory, 5), ((ushort)StatTag.TotalMemory, 6));
        BufferSegment[] chain = kind switch
        {
            "too short" => [two with { Length = 9 }],
            "empty" => [two with { Length = 0 }],
            "not whole entries" => [StatsEntries(ring, ((ushort)StatTag.FreeMemory, 5), ((ushort)StatTag.TotalMemory, 6), (7, 7)) with { Length = 25 }],
            "device-writable" => [two with { DeviceWritable = true }],
            "longer than 4096" => [StatsEntries(ring, [.. Enumerable.Repeat(((ushort)StatTag.FreeMemory, 5UL), 410)])],
            "longer than 4096 in two descriptors" => [StatsEntries(ring, [.. Enumerable.Repeat(((ushort)StatTag.FreeMemory, 5UL), 409)]), two with { Length = 10 }],
            "outside RAM" => [new BufferSegment(LowHole, 20, DeviceWritable: false)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        var head = ring.AddChain(chain);

        Assert.True(rig.Process(BalloonQueue.Stats));

        if (parsed)
        {
            Assert.Equal(5UL, rig.Device.Statistics![StatTag.FreeMemory]);   // whole entries are still used
            Assert.Equal(6UL, rig.Device.Statistics[StatTag.TotalMemory]);
        }
        else
        {
            Assert.Null(rig.Device.Statistics);
        }
        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.BadStatsBuffer);
        Assert.True(rig.Device.RequestStatistics());   // held like any other: the driver gets it back to refill
        Assert.Equal([new UsedElement(head, 0)], Used(ring));
    }

    [Fact]
    public void Stats_BadChainIsReturnedAtOnce()
    {
        using var rig = Pfn();
        var p = StatsEntries(rig.Stats!, ((ushort)StatTag.FreeMemory, 5));
        rig.Stats!.SetDescriptor(15, p.Address, p.Length, Descriptor.FlagNext, 15);
        rig.Stats.Publish(15);

        Assert.True(rig.Process(BalloonQueue.Stats));

        Assert.Equal([new UsedElement(15, 0)], Used(rig.Stats));
        Assert.Null(rig.Device.Statistics);
        Assert.False(rig.Device.RequestStatistics());
        rig.AssertOnlyError(BalloonError.BadChain);
    }
}
