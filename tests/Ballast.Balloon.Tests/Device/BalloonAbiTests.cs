using Ballast.TestKit;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Ballast.Balloon.Device;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// The balloon's wire ABI (VIRTIO 1.2 §5.5; Linux include/uapi/linux/virtio_balloon.h): the 10-byte packed
/// stats entry, the config layout, feature bits, queue indexes and stat tags. The structs below are the C
/// ones; one test compiles C against the installed header and compares.
/// </summary>
public sealed class BalloonAbiTests
{
    /// <summary>struct virtio_balloon_stat { __virtio16 tag; __virtio64 val; } __attribute__((packed));</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct VirtioBalloonStat
    {
        public ushort Tag;
        public ulong Val;
    }

    /// <summary>struct virtio_balloon_config { __le32 num_pages; __le32 actual; ... };</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct VirtioBalloonConfig
    {
        public uint NumPages;
        public uint Actual;
    }

    [Fact]
    public void StatEntry_Is10BytesPacked()
    {
        // §5.5.6.3: "struct virtio_balloon_stat { le16 tag; le64 val; } __attribute__((packed));"
        Assert.Equal(10, BalloonStatistics.EntrySize);
        Assert.Equal(BalloonStatistics.EntrySize, Marshal.SizeOf<VirtioBalloonStat>());
        Assert.Equal(0, (int)Marshal.OffsetOf<VirtioBalloonStat>(nameof(VirtioBalloonStat.Tag)));
        Assert.Equal(2, (int)Marshal.OffsetOf<VirtioBalloonStat>(nameof(VirtioBalloonStat.Val)));
    }

    [Fact]
    public void StatEntry_ParsesTheCStructsBytes()
    {
        Assert.True(BitConverter.IsLittleEndian);   // the struct's fields are host order; the wire is little-endian
        VirtioBalloonStat[] entries =
        [
            new() { Tag = (ushort)StatTag.FreeMemory, Val = 0x1122_3344_5566_7788 },
            new() { Tag = (ushort)StatTag.DirectReclaims, Val = ulong.MaxValue },
            new() { Tag = 0x1234, Val = 1 },
        ];

        var stats = BalloonStatistics.Parse(MemoryMarshal.AsBytes(entries.AsSpan()), DateTimeOffset.UnixEpoch);

        Assert.Equal(0x1122_3344_5566_7788UL, stats[StatTag.FreeMemory]);
        Assert.Equal(ulong.MaxValue, stats[StatTag.DirectReclaims]);
        Assert.Equal(1, stats.UnknownTags);
        Assert.Equal(DateTimeOffset.UnixEpoch, stats.UpdatedAt);
    }

    [Fact]
    public void Config_NumPagesAt0AndActualAt4()
    {
        // §5.5.4: "le32 num_pages; le32 actual;" — little-endian even for legacy devices.
        Assert.Equal(0, (int)Marshal.OffsetOf<VirtioBalloonConfig>(nameof(VirtioBalloonConfig.NumPages)));
        Assert.Equal(4, (int)Marshal.OffsetOf<VirtioBalloonConfig>(nameof(VirtioBalloonConfig.Actual)));
        Assert.Equal(BalloonDevice.BasicConfigSize, Marshal.SizeOf<VirtioBalloonConfig>());

        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.SetTargetPages(0xA1B2_C3D4);
        device.WriteConfig(4, [0x04, 0x03, 0x02, 0x01]);
        var bytes = new byte[device.ConfigSize];
        device.ReadConfig(0, bytes);

        Assert.Equal(0xA1B2_C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(0x0102_0304u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        var config = MemoryMarshal.Read<VirtioBalloonConfig>(bytes);
        Assert.Equal(device.NumPages, config.NumPages);
        Assert.Equal(device.Actual, config.Actual);
    }

    [Fact]
    public void FeatureBitsQueueIndexesAndTags_AreTheSpecs()
    {
        // §5.5.3 feature bits, §5.5.2 virtqueues, §5.5.6.3 tags (10–15: Linux ≥ 6.12).
        Assert.Equal(0, BalloonFeatures.MustTellHost);
        Assert.Equal(1, BalloonFeatures.StatsVq);
        Assert.Equal(2, BalloonFeatures.DeflateOnOom);
        Assert.Equal(3, BalloonFeatures.FreePageHint);
        Assert.Equal(4, BalloonFeatures.PagePoison);
        Assert.Equal(5, BalloonFeatures.PageReporting);
        Assert.Equal(0xFFFF_F000u, BalloonFeatures.MaxSgLength);
        Assert.Equal(0, BalloonQueue.Inflate);
        Assert.Equal(1, BalloonQueue.Deflate);
        Assert.Equal(2, BalloonQueue.Stats);
        string[] linuxNames =
        [
            "SWAP_IN", "SWAP_OUT", "MAJFLT", "MINFLT", "MEMFREE", "MEMTOT", "AVAIL", "CACHES", "HTLB_PGALLOC",
            "HTLB_PGFAIL", "OOM_KILL", "ALLOC_STALL", "ASYNC_SCAN", "DIRECT_SCAN", "ASYNC_RECLAIM", "DIRECT_RECLAIM",
        ];
        var tags = Enum.GetValues<StatTag>();
        Assert.Equal(linuxNames.Length, tags.Length);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (ushort)i), tags.Select(t => (ushort)t));
    }

    [LinuxHeaderFact]
    public void Abi_MatchesLinuxHeader()
    {
        var c = CProgram.Run("""
            #include <stddef.h>
            #include <stdio.h>
            #include <linux/virtio_balloon.h>
            int main(void) {
                printf("stat_size %zu\n", sizeof(struct virtio_balloon_stat));
                printf("stat_tag %zu\n", offsetof(struct virtio_balloon_stat, tag));
                printf("stat_val %zu\n", offsetof(struct virtio_balloon_stat, val));
                printf("num_pages %zu\n", offsetof(struct virtio_balloon_config, num_pages));
                printf("actual %zu\n", offsetof(struct virtio_balloon_config, actual));
                printf("free_page_hint_cmd_id %zu\n", offsetof(struct virtio_balloon_config, free_page_hint_cmd_id));
                printf("poison_val %zu\n", offsetof(struct virtio_balloon_config, poison_val));
                printf("config_size %zu\n", sizeof(struct virtio_balloon_config));
                printf("F_PAGE_POISON %d\n", VIRTIO_BALLOON_F_PAGE_POISON);
                printf("F_REPORTING %d\n", VIRTIO_BALLOON_F_REPORTING);
                printf("pfn_shift %d\n", VIRTIO_BALLOON_PFN_SHIFT);
                printf("F_MUST_TELL_HOST %d\n", VIRTIO_BALLOON_F_MUST_TELL_HOST);
                printf("F_STATS_VQ %d\n", VIRTIO_BALLOON_F_STATS_VQ);
                printf("F_DEFLATE_ON_OOM %d\n", VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
                printf("F_FREE_PAGE_HINT %d\n", VIRTIO_BALLOON_F_FREE_PAGE_HINT);
                printf("S_SWAP_IN %d\n", VIRTIO_BALLOON_S_SWAP_IN);
                printf("S_SWAP_OUT %d\n", VIRTIO_BALLOON_S_SWAP_OUT);
                printf("S_MAJFLT %d\n", VIRTIO_BALLOON_S_MAJFLT);
                printf("S_MINFLT %d\n", VIRTIO_BALLOON_S_MINFLT);
                printf("S_MEMFREE %d\n", VIRTIO_BALLOON_S_MEMFREE);
                printf("S_MEMTOT %d\n", VIRTIO_BALLOON_S_MEMTOT);
                printf("S_AVAIL %d\n", VIRTIO_BALLOON_S_AVAIL);
                printf("S_CACHES %d\n", VIRTIO_BALLOON_S_CACHES);
                printf("S_HTLB_PGALLOC %d\n", VIRTIO_BALLOON_S_HTLB_PGALLOC);
                printf("S_HTLB_PGFAIL %d\n", VIRTIO_BALLOON_S_HTLB_PGFAIL);
            #ifdef VIRTIO_BALLOON_S_OOM_KILL
                printf("S_OOM_KILL %d\n", VIRTIO_BALLOON_S_OOM_KILL);
                printf("S_ALLOC_STALL %d\n", VIRTIO_BALLOON_S_ALLOC_STALL);
                printf("S_ASYNC_SCAN %d\n", VIRTIO_BALLOON_S_ASYNC_SCAN);
                printf("S_DIRECT_SCAN %d\n", VIRTIO_BALLOON_S_DIRECT_SCAN);
                printf("S_ASYNC_RECLAIM %d\n", VIRTIO_BALLOON_S_ASYNC_RECLAIM);
                printf("S_DIRECT_RECLAIM %d\n", VIRTIO_BALLOON_S_DIRECT_RECLAIM);
            #endif
                printf("S_NR %d\n", VIRTIO_BALLOON_S_NR);
                return 0;
            }
            """).ToDictionary(kv => kv.Key, kv => (long)kv.Value); // the assertions compare with signed constants

        Assert.Equal(BalloonStatistics.EntrySize, c["stat_size"]);
        Assert.Equal(0, c["stat_tag"]);
        Assert.Equal(2, c["stat_val"]);
        Assert.Equal(0, c["num_pages"]);
        Assert.Equal(4, c["actual"]);
        Assert.Equal(8, c["free_page_hint_cmd_id"]);
        Assert.Equal(12, c["poison_val"]);
        Assert.Equal(BalloonDevice.FullConfigSize, c["config_size"]);
        Assert.Equal(BalloonFeatures.PagePoison, c["F_PAGE_POISON"]);
        Assert.Equal(BalloonFeatures.PageReporting, c["F_REPORTING"]);
        Assert.Equal(12, c["pfn_shift"]);
        Assert.Equal(BalloonFeatures.MustTellHost, c["F_MUST_TELL_HOST"]);
        Assert.Equal(BalloonFeatures.StatsVq, c["F_STATS_VQ"]);
        Assert.Equal(BalloonFeatures.DeflateOnOom, c["F_DEFLATE_ON_OOM"]);
        Assert.Equal(BalloonFeatures.FreePageHint, c["F_FREE_PAGE_HINT"]);
        Assert.Equal((long)StatTag.SwapIn, c["S_SWAP_IN"]);
        Assert.Equal((long)StatTag.SwapOut, c["S_SWAP_OUT"]);
        Assert.Equal((long)StatTag.MajorFaults, c["S_MAJFLT"]);
        Assert.Equal((long)StatTag.MinorFaults, c["S_MINFLT"]);
        Assert.Equal((long)StatTag.FreeMemory, c["S_MEMFREE"]);
        Assert.Equal((long)StatTag.TotalMemory, c["S_MEMTOT"]);
        Assert.Equal((long)StatTag.AvailableMemory, c["S_AVAIL"]);
        Assert.Equal((long)StatTag.DiskCaches, c["S_CACHES"]);
        Assert.Equal((long)StatTag.HugetlbAllocations, c["S_HTLB_PGALLOC"]);
        Assert.Equal((long)StatTag.HugetlbFailures, c["S_HTLB_PGFAIL"]);
        if (c.ContainsKey("S_OOM_KILL"))
        {
            Assert.Equal((long)StatTag.OomKills, c["S_OOM_KILL"]);
            Assert.Equal((long)StatTag.AllocStalls, c["S_ALLOC_STALL"]);
            Assert.Equal((long)StatTag.AsyncScans, c["S_ASYNC_SCAN"]);
            Assert.Equal((long)StatTag.DirectScans, c["S_DIRECT_SCAN"]);
            Assert.Equal((long)StatTag.AsyncReclaims, c["S_ASYNC_RECLAIM"]);
            Assert.Equal((long)StatTag.DirectReclaims, c["S_DIRECT_RECLAIM"]);
        }
        // Every tag the installed header knows, Ballast knows (older headers stop at 10, newer at 16).
        Assert.InRange(c["S_NR"], 10, BalloonStatistics.TagCount);
    }
}
