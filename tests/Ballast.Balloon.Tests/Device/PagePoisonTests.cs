using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Virtio;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// VIRTIO 1.2 §5.5.6.6.2: "If the VIRTIO_BALLOON_F_PAGE_POISON feature has been negotiated, the device MUST NOT modify
/// the content of a reported page to a value other than poison_val." A released page reads back as zeros, so with
/// poison_val ≠ 0 reported blocks are kept (counted, logged once); inflated pages are released whatever poison_val is.
/// </summary>
public sealed class PagePoisonTests
{
    private const uint LinuxPoison = 0xAAAA_AAAA;   // PAGE_POISON repeated, what Linux writes without init_on_free

    private static DeviceRig Rig(bool acceptPoison = true)
    {
        var options = new BalloonDeviceOptions { PagePoison = true, PageReporting = true };
        var offered = new BalloonDevice(options).OfferedFeatures;
        return new DeviceRig(options, driverFeatures: acceptPoison ? offered : offered & ~VirtioFeatures.Bit(BalloonFeatures.PagePoison));
    }

    private static void WritePoison(BalloonDevice device, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        device.WriteConfig(12, bytes);
    }

    private static void Report(DeviceRig rig, ulong gpa, ulong pages)
    {
        rig.Reporting!.AddChain(Range(gpa, (uint)(pages * Page)));
        Assert.True(rig.Process(rig.ReportingIndex));
        Assert.Single(Used(rig.Reporting));
    }

    [Fact]
    public void PoisonValueNotZero_ReportedPagesKeepTheirContents_CountedAndLoggedOnce()
    {
        using var rig = Rig();
        WritePoison(rig.Device, LinuxPoison);
        Assert.True(rig.Device.ReportsKeptForPoison);

        Report(rig, A, 4);
        Report(rig, C, 2);

        rig.AssertNothingReleased();
        Assert.Equal(6 * (long)Page, rig.Counters.ReportSkippedPoisonBytes);
        Assert.Equal(6 * (long)Page, rig.Counters.ReportedBytes);
        Assert.Equal(0, rig.Counters.ReportReleasedBytes);
        Assert.Equal(1, rig.Logger.Entries.Count(e => e.Message.Contains("poisons free pages", StringComparison.Ordinal)));
        rig.AssertNoErrors();
    }

    [Fact]
    public void PoisonValueNotZero_InflatedPagesAreStillReleased()
    {
        // The driver "MUST initialize the deflated pages with poison_val when they are reused" (§5.5.6.5).
        using var rig = Rig();
        WritePoison(rig.Device, LinuxPoison);

        AddPfns(rig.Inflate, PfnOf(A), PfnOf(A + Page));
        rig.Process(BalloonQueue.Inflate);

        rig.AssertReleased((A, 2));
    }

    [Fact]
    public void PoisonValueZero_InitOnFree_ReportedPagesAreReleased()
    {
        using var rig = Rig();
        WritePoison(rig.Device, 0);
        Assert.False(rig.Device.ReportsKeptForPoison);

        Report(rig, A, 4);

        rig.AssertReleased((A, 4));
        Assert.Equal(0, rig.Counters.ReportSkippedPoisonBytes);
    }

    [Fact]
    public void PagePoisonNotNegotiated_APoisonValueIsStoredButIgnored()
    {
        using var rig = Rig(acceptPoison: false);
        WritePoison(rig.Device, LinuxPoison);

        Report(rig, A, 1);

        Assert.Equal(LinuxPoison, rig.Device.PoisonValue);
        Assert.False(rig.Device.ReportsKeptForPoison);
        rig.AssertReleased((A, 1));
    }

    [Fact]
    public void PoisonValue_ReadsBack_FreePageHintCmdIdIsReadOnlyZero_AndResetClearsIt()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions { PagePoison = true });
        device.SetTargetPages(0x10);
        device.WriteConfig(8, [1, 2, 3, 4, 0x78, 0x56, 0x34, 0x12]);   // free_page_hint_cmd_id and poison_val

        var config = new byte[16];
        device.ReadConfig(0, config);

        Assert.Equal(0x10u, BinaryPrimitives.ReadUInt32LittleEndian(config));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(8)));
        Assert.Equal(0x1234_5678u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(12)));
        device.WriteConfig(13, [0xAB]);                                  // a partial write
        Assert.Equal(0x1234_AB78u, device.PoisonValue);

        device.Reset();
        Assert.Equal(0u, device.PoisonValue);
    }

    [Fact]
    public void WithoutTheFullConfigSpace_PoisonValueWritesAreIgnored()
    {
        var device = new BalloonDevice(new BalloonDeviceOptions());
        device.WriteConfig(12, [1, 2, 3, 4]);
        Assert.Equal(0u, device.PoisonValue);
        var config = new byte[16];
        device.ReadConfig(0, config);
        Assert.All(config[8..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void PoisonValue_OutlivesTheWorker_InTheCrashRecord()
    {
        using var record = BalloonRecord.Create(0);
        var options = new BalloonDeviceOptions { PagePoison = true, PageReporting = true };
        var first = new BalloonDevice(options);
        first.AttachRecord(record, resume: false);
        WritePoison(first, LinuxPoison);
        Assert.Equal(LinuxPoison, record.PoisonValue);

        var next = new BalloonDevice(options);
        next.AttachRecord(record, resume: true);

        Assert.Equal(LinuxPoison, next.PoisonValue);
        next.Reset();
        Assert.Equal(0u, record.PoisonValue);
    }
}
