using Ballast.Virtio.Queue;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>The split ring's numbers pinned as VIRTIO 1.2 §2.7 draws them (checked against C in <see cref="SplitRingAbiTests"/>).</summary>
public sealed class SplitRingLayoutTests
{
    [Fact]
    public void Descriptor_Is16Bytes()
    {
        // §2.7.5: struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; };
        Assert.Equal(16, Descriptor.Size);
        Assert.Equal((1, 2, 4), (Descriptor.FlagNext, Descriptor.FlagWrite, Descriptor.FlagIndirect));
    }

    [Fact]
    public void AvailableRing_FlagsIdxRingThenUsedEvent()
    {
        // §2.7.6: le16 flags; le16 idx; le16 ring[Queue Size]; le16 used_event;
        Assert.Equal((0, 2, 4), (SplitRing.AvailFlagsOffset, SplitRing.AvailIdxOffset, SplitRing.AvailRingOffset));
        Assert.Equal(4UL + 2 * 256 + 2, SplitRing.AvailableRingBytes(256));
        Assert.Equal(8UL, SplitRing.AvailableRingBytes(1));
    }

    [Fact]
    public void UsedRing_FlagsIdxEightByteElementsThenAvailEvent()
    {
        // §2.7.8: le16 flags; le16 idx; struct virtq_used_elem { le32 id; le32 len; } ring[Queue Size]; le16 avail_event;
        Assert.Equal((0, 2, 4, 8), (SplitRing.UsedFlagsOffset, SplitRing.UsedIdxOffset, SplitRing.UsedRingOffset, SplitRing.UsedElementSize));
        Assert.Equal(4UL + 8 * 256 + 2, SplitRing.UsedRingBytes(256));
        Assert.Equal(16UL * 256, SplitRing.DescriptorTableBytes(256));
        Assert.Equal(16UL * 32768, SplitRing.DescriptorTableBytes(32768));
    }

    [Fact]
    public void Alignment_IsSixteenTwoFour()
    {
        // §2.7 table "Virtqueue Part Alignment": Descriptor Table 16, Available Ring 2, Used Ring 4.
        Assert.Equal((16, 2, 4), (SplitRing.DescriptorAlignment, SplitRing.AvailableAlignment, SplitRing.UsedAlignment));
    }

    [Fact]
    public void NotificationFlagsAndFeatureBits()
    {
        Assert.Equal(1, SplitRing.UsedFlagNoNotify);      // VIRTQ_USED_F_NO_NOTIFY
        Assert.Equal(1, SplitRing.AvailFlagNoInterrupt);  // VIRTQ_AVAIL_F_NO_INTERRUPT
        Assert.Equal(28, VirtioFeatures.IndirectDesc);
        Assert.Equal(29, VirtioFeatures.EventIdx);
        Assert.Equal(32, VirtioFeatures.Version1);
        Assert.Equal(1UL << 29, VirtioFeatures.Bit(VirtioFeatures.EventIdx));
        Assert.True(VirtioFeatures.Has(1UL << 32 | 1UL << 28, VirtioFeatures.IndirectDesc));
        Assert.False(VirtioFeatures.Has(1UL << 32, VirtioFeatures.EventIdx));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(256, true)]
    [InlineData(32768, true)]
    [InlineData(0, false)]
    [InlineData(-1, false)]
    [InlineData(3, false)]
    [InlineData(384, false)]
    [InlineData(65536, false)]
    [InlineData(int.MinValue, false)]
    public void IsValidSize_PowerOfTwoUpTo32768(int size, bool valid)
    {
        // §2.7: "Queue Size value is always a power of 2. The maximum Queue Size value is 32768."
        Assert.Equal(valid, SplitRing.IsValidSize(size));
    }

    [Theory]
    [InlineData(5, 6, 5, true)]         // event just passed
    [InlineData(5, 5, 3, false)]        // event not yet reached: [3, 5) excludes 5
    [InlineData(4, 5, 3, true)]
    [InlineData(3, 5, 3, true)]         // event at old
    [InlineData(2, 5, 3, false)]        // event already behind old
    [InlineData(65535, 1, 65534, true)] // across the 16-bit wrap
    [InlineData(0, 1, 65535, true)]
    [InlineData(1, 1, 65535, false)]
    [InlineData(7, 7, 7, false)]        // nothing new
    public void NeedEvent_IsTrueIffEventInOldToNew(ushort eventIdx, ushort newIdx, ushort oldIdx, bool expected)
    {
        // §2.7.7.2 / §2.7.10: notify iff the event index lies in [old, new), mod 2^16 (vring_need_event).
        Assert.Equal(expected, SplitRing.NeedEvent(eventIdx, newIdx, oldIdx));
    }
}
