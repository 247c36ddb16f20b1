using Ballast.Balloon.Device;
using Ballast.Bitmap;

namespace Ballast.Balloon.Tests.Device;

/// <summary>Comparisons between a <see cref="BalloonDevice"/>'s ballooned set and a <see cref="BalloonRecord"/>.</summary>
internal static class RecordChecks
{
    /// <summary>Frames of <see cref="DeviceRig"/>'s guest up to the end of region C (Top lies beyond any record).</summary>
    public const ulong RigFrames = (DeviceRig.C + DeviceRig.RegionSize) / DeviceRig.Page;

    /// <summary>
    /// For every frame below <paramref name="frames"/>, the record holds it exactly when the device has it ballooned;
    /// the record's runs are the maximal runs of the device's set, and it holds nothing else.
    /// </summary>
    public static void AssertMirrors(BalloonDevice device, BalloonRecord record, ulong frames = RigFrames)
    {
        var expected = RunsOf(device.IsBallooned, frames);
        Assert.Equal(expected, record.Runs().ToList());
        for (ulong pfn = 0; pfn < frames; pfn++)
            Assert.True(record.Test(pfn) == device.IsBallooned(pfn), $"PFN 0x{pfn:x}: record {record.Test(pfn)}, device {device.IsBallooned(pfn)}");
        Assert.Equal(device.BalloonedPages, record.Count);
    }

    /// <summary>The maximal runs of frames below <paramref name="frames"/> for which <paramref name="isSet"/> holds.</summary>
    public static List<XBitmapRun> RunsOf(Func<ulong, bool> isSet, ulong frames)
    {
        var runs = new List<XBitmapRun>();
        for (ulong pfn = 0; pfn < frames;)
        {
            if (!isSet(pfn))
            {
                pfn++;
                continue;
            }
            var start = pfn;
            while (pfn < frames && isSet(pfn))
                pfn++;
            runs.Add(new XBitmapRun(start, pfn - start));
        }
        return runs;
    }
}
