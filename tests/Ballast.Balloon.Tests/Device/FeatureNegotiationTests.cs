using Ballast.Balloon.Device;
using Ballast.Virtio;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Feature bits and queues, VIRTIO 1.2 §5.5.3 and §5.5.2: what is offered follows the options, the driver can
/// only accept what was offered (§2.2), and SG framing is used only once negotiated.
/// </summary>
public sealed class FeatureNegotiationTests
{
    private static readonly ulong s_always = VirtioFeatures.Bit(VirtioFeatures.Version1)
        | VirtioFeatures.Bit(VirtioFeatures.EventIdx) | VirtioFeatures.Bit(VirtioFeatures.IndirectDesc);

    [Theory]
    [InlineData(false, false, false, false, 0UL)]
    [InlineData(true, false, false, false, 0b001UL)]
    [InlineData(false, true, false, false, 0b010UL)]
    [InlineData(false, false, true, false, 0b100UL)]
    [InlineData(true, true, true, false, 0b111UL)]
    [InlineData(false, false, false, true, 1UL << 23)]
    [InlineData(true, true, true, true, 0b111UL | 1UL << 23)]
    public void OfferedFeatures_FollowOptions(bool mustTellHost, bool stats, bool deflateOnOom, bool sg, ulong deviceBits)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions
        {
            MustTellHost = mustTellHost,
            StatsQueue = stats,
            DeflateOnOom = deflateOnOom,
            ScatterGather = sg,
        });

        Assert.Equal(s_always | deviceBits, device.OfferedFeatures);
        Assert.Equal(stats ? 3 : 2, device.QueueCount);
    }

    [Fact]
    public void OfferedFeatures_LeaveOutTransportBitsWhenAsked()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { EventIdx = false, IndirectDescriptors = false, StatsQueue = false, DeflateOnOom = false });

        Assert.Equal(VirtioFeatures.Bit(VirtioFeatures.Version1), device.OfferedFeatures);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(23)]
    public void OfferedFeatures_SgOnTheConfiguredBit(int bit)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { ScatterGather = true, SgBit = bit });

        Assert.True(VirtioFeatures.Has(device.OfferedFeatures, bit));
        Assert.Equal(BalloonFeatures.DefaultSgBit == bit, VirtioFeatures.Has(device.OfferedFeatures, 23));
        Assert.Equal(23, BalloonFeatures.DefaultSgBit);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(24)]
    [InlineData(28)]
    [InlineData(32)]
    [InlineData(63)]
    [InlineData(64)]
    public void Options_RejectSgBitOutsideTheDeviceRange(int bit)
    {
        var options = new BalloonDeviceOptions { ScatterGather = true, SgBit = bit };

        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BalloonDevice(options));
    }

    [Fact]
    public void SetDriverFeatures_MasksUnofferedBits()
    {
        var logger = new CapturingLogger();
        var device = new BalloonDevice(new BalloonDeviceOptions { ScatterGather = false }, logger);
        var asked = device.OfferedFeatures | VirtioFeatures.Bit(23) | VirtioFeatures.Bit(BalloonFeatures.FreePageHint) | VirtioFeatures.Bit(40);

        device.SetDriverFeatures(asked);

        Assert.Equal(device.OfferedFeatures, device.NegotiatedFeatures);
        Assert.False(device.SgNegotiated);
        Assert.Contains(logger.Entries, e => e.Message.Contains("not offered", StringComparison.Ordinal));
    }

    [Fact]
    public void SetDriverFeatures_KeepsWhatTheDriverChose()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { ScatterGather = true, MustTellHost = true });
        var chosen = VirtioFeatures.Bit(VirtioFeatures.Version1) | VirtioFeatures.Bit(BalloonFeatures.StatsVq);

        device.SetDriverFeatures(chosen);

        Assert.Equal(chosen, device.NegotiatedFeatures);
        Assert.False(device.SgNegotiated);
    }

    [Fact]
    public void Sg_OfferedButNotNegotiated_BuffersAreParsedAsPfns()
    {
        var options = new BalloonDeviceOptions { ScatterGather = true };
        var offered = new BalloonDevice(options).OfferedFeatures;
        using var rig = new DeviceRig(options, offered & ~VirtioFeatures.Bit(BalloonFeatures.DefaultSgBit));
        Assert.False(rig.Device.SgNegotiated);

        AddPfns(rig.Inflate, PfnOf(A), PfnOf(C));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertReleased((A, 1), (C, 1));
        rig.AssertNoErrors();
    }

    [Fact]
    public void Sg_Negotiated_APfnArrayIsARangeAndIsRejected()
    {
        // The same bytes as above: with SG the descriptor is an 8-byte range at the array's address.
        using var rig = Sg();
        Assert.True(rig.Device.SgNegotiated);

        AddPfns(rig.Inflate, PfnOf(A), PfnOf(C));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertNothingReleased();
        rig.AssertOnlyError(BalloonError.SgUnaligned);
    }

    [Fact]
    public void Sg_OnBit3_WorksWhenNegotiated()
    {
        // A guest built with the seed's header asks for bit 3 (later FREE_PAGE_HINT in the spec).
        using var rig = new DeviceRig(new BalloonDeviceOptions { ScatterGather = true, SgBit = BalloonFeatures.FreePageHint });
        Assert.True(rig.Device.SgNegotiated);
        Assert.False(VirtioFeatures.Has(rig.Device.NegotiatedFeatures, BalloonFeatures.DefaultSgBit));

        rig.Inflate.AddChain(Range(B, (uint)(3 * Page)));
        Assert.True(rig.Process(BalloonQueue.Inflate));

        rig.AssertReleased((B, 3));
        rig.AssertNoErrors();
    }

    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    public void AttachQueue_RejectsIndexesBeyondQueueCount(bool stats, int count)
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { StatsQueue = stats });

        Assert.Equal(count, device.QueueCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.AttachQueue(count, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.AttachQueue(-1, null));
        Assert.Null(device.GetQueue(count));
    }
}
