using System.Globalization;
using System.Text;
using Ballast.Balloon.Device;
using Ballast.Virtio.Queue;
using Xunit.Abstractions;
using static Ballast.Balloon.Tests.Device.DeviceRig;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// Every kind of hostile input at once, interleaved with valid buffers, on a PFN device and an SG device; prints
/// the full error-counter table. Checks that each kind landed in its own counter, that valid buffers around the
/// bad ones still worked, and that exactly the valid frames were released.
/// </summary>
public sealed class MalformedInputReportTests(ITestOutputHelper output)
{
    [Fact]
    public void MalformedInputMix_IsCountedPerKindAndReleasesOnlyValidFrames()
    {
        using var pfn = Pfn();
        using var sg = Sg();

        RunPfnScenarios(pfn);
        RunSgScenarios(sg);

        output.WriteLine(Table(pfn.Counters, sg.Counters));
        Expect(pfn.Counters, new()
        {
            [BalloonError.BadChain] = 4,
            [BalloonError.QueueBroken] = 1,
            [BalloonError.BadPfnBuffer] = 3,
            [BalloonError.PfnOutOfRange] = 3,
            [BalloonError.DoubleInflate] = 2,
            [BalloonError.DeflateNotBallooned] = 1,
            [BalloonError.BadStatsBuffer] = 5,
        });
        Expect(sg.Counters, new()
        {
            [BalloonError.BadChain] = 2,
            [BalloonError.QueueBroken] = 1,
            [BalloonError.SgUnaligned] = 2,
            [BalloonError.SgZeroLength] = 1,
            [BalloonError.SgTooLong] = 2,
            [BalloonError.SgOutsideRam] = 4,
            [BalloonError.DoubleInflate] = 1,
            [BalloonError.DeflateNotBallooned] = 1,
        });
        pfn.AssertReleased((A, 6), (C, 1));
        sg.AssertReleased((C, 12), (B - Page, 2));
        Assert.Equal(5UL, pfn.Device.BalloonedPages);   // A[0..6) + C[0] − deflated A+1, A+2
        Assert.Equal(12UL, sg.Device.BalloonedPages);   // C[0..12) + A/B edge − deflated C[0..2)
        Assert.Equal(0x10UL, pfn.Device.Statistics![StatTag.FreeMemory]);
    }

    private static void RunPfnScenarios(DeviceRig rig)
    {
        var inflate = rig.Inflate;
        AddPfns(inflate, Pfns(A, 4));                                      // valid
        AddPfns(inflate, PfnOf(A + 4 * Page), uint.MaxValue);              // PFN beyond RAM
        AddPfns(inflate, PfnOf(LowHole), PfnOf(A + 5 * Page));             // PFN in a hole
        AddPfns(inflate, PfnOf(HoleAfterB), PfnOf(C));                     // PFN in a hole
        inflate.AddChain(PfnArray(inflate, Pfns(B, 2)) with { Length = 7 }); // not whole PFNs
        inflate.AddChain(new BufferSegment(LowHole, 16, DeviceWritable: false)); // buffer outside RAM
        inflate.AddChain(new BufferSegment(C + RegionSize - 4, 8, DeviceWritable: false)); // buffer off the end of C
        AddPfns(inflate, PfnOf(A), PfnOf(A + Page));                       // double inflate
        AddPfns(inflate, PfnOf(C), PfnOf(C));                              // double inflate within one buffer
        var p = PfnArray(inflate, Pfns(B, 4));
        inflate.SetDescriptor(15, p.Address, p.Length, Descriptor.FlagNext, 200);   // next index out of range
        inflate.Publish(15);
        inflate.SetDescriptor(14, p.Address, p.Length, Descriptor.FlagNext, 13);    // loop
        inflate.SetDescriptor(13, p.Address, p.Length, Descriptor.FlagNext, 14);
        inflate.Publish(14);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        Assert.Equal(11, Used(inflate).Count);

        inflate.SetDescriptor(15, inflate.AllocateBuffer(32), 24, Descriptor.FlagIndirect);   // indirect table of 1.5 entries
        inflate.Publish(15);
        inflate.SetDescriptor(14, p.Address, p.Length, (ushort)(Descriptor.FlagIndirect | Descriptor.FlagNext), 13); // indirect + next
        inflate.Publish(14);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        Assert.Equal(2, Used(inflate).Count);

        AddPfns(rig.Deflate, PfnOf(A + Page), PfnOf(A + 2 * Page), PfnOf(B));   // B was never ballooned
        Assert.True(rig.Process(BalloonQueue.Deflate));
        Assert.Single(Used(rig.Deflate));

        var stats = rig.Stats!;
        var two = StatsEntries(stats, ((ushort)StatTag.FreeMemory, 0x10), ((ushort)StatTag.TotalMemory, 0x20));
        stats.AddChain(two with { Length = 9 });                           // shorter than one entry
        stats.AddChain(two with { Length = 15 });                          // not whole entries (one is parsed)
        stats.AddChain(two with { DeviceWritable = true });                // device-writable
        stats.AddChain(StatsEntries(stats, [.. Enumerable.Repeat(((ushort)StatTag.SwapIn, 1UL), 410)])); // 4100 bytes
        stats.AddChain(new BufferSegment(LowHole, 20, DeviceWritable: false)); // outside RAM
        Assert.True(rig.Process(BalloonQueue.Stats));
        Assert.Equal(4, Used(stats).Count);                                // the last is held

        rig.Deflate.AvailIdx = (ushort)(rig.Deflate.AvailIdx + 17);        // avail index jumps past the queue size
        Assert.False(rig.Process(BalloonQueue.Deflate));
    }

    private static void RunSgScenarios(DeviceRig rig)
    {
        var inflate = rig.Inflate;
        inflate.AddChain(Range(C, (uint)(8 * Page)), Range(A + 0x800, (uint)Page));  // valid + unaligned address
        inflate.AddChain(Range(A, 4097));                                  // length not a multiple of 4 KiB
        inflate.AddChain(Range(A, 0));                                     // zero length
        inflate.AddChain(Range(A, 0xFFFF_F001), Range(A, uint.MaxValue));  // longer than 4 GiB − 4 KiB
        inflate.AddChain(Range(Top + 48 * KiB, (uint)(32 * KiB)));         // crosses the end of RAM
        inflate.AddChain(Range(B + RegionSize - Page, (uint)(2 * Page)));  // crosses into a hole
        inflate.AddChain(Range(Top + 32 * KiB, (uint)(104 * KiB)));        // wraps 2^64 into Ctl
        inflate.AddChain(Range(LowHole, (uint)Page));                      // in a hole
        inflate.AddChain(Range(C + 4 * Page, (uint)(8 * Page)));           // half already ballooned
        inflate.AddChain(Range(B - Page, (uint)(2 * Page)));               // valid, across adjacent regions
        inflate.SetDescriptor(15, B, (uint)Page, Descriptor.FlagWrite | Descriptor.FlagNext, 15);   // self-loop
        inflate.Publish(15);
        Assert.True(rig.Process(BalloonQueue.Inflate));
        Assert.Equal(11, Used(inflate).Count);

        rig.Deflate.AddChain(Range(C, (uint)(2 * Page)), Range(A, (uint)Page));   // A was never ballooned
        var table = rig.Deflate.AllocateBuffer(16);
        rig.Deflate.SetDescriptor(15, table, 0, Descriptor.FlagIndirect);  // empty indirect table
        rig.Deflate.Publish(15);
        Assert.True(rig.Process(BalloonQueue.Deflate));
        Assert.Equal(2, Used(rig.Deflate).Count);

        inflate.SetAvailEntry(inflate.AvailIdx % inflate.Size, 1000);      // head beyond the queue size
        inflate.AvailIdx++;
        Assert.False(rig.Process(BalloonQueue.Inflate));
    }

    private static void Expect(BalloonCounters counters, Dictionary<BalloonError, long> expected)
    {
        foreach (var kind in Enum.GetValues<BalloonError>())
            Assert.True(expected.GetValueOrDefault(kind) == counters.Errors(kind),
                $"{kind}: expected {expected.GetValueOrDefault(kind)}, counted {counters.Errors(kind)}");
    }

    private static string Table(BalloonCounters pfn, BalloonCounters sg)
    {
        var rows = new List<(string Name, long Pfn, long Sg)>();
        foreach (var kind in Enum.GetValues<BalloonError>())
            rows.Add(($"Errors({kind})", pfn.Errors(kind), sg.Errors(kind)));
        rows.Add(("TotalErrors", pfn.TotalErrors, sg.TotalErrors));
        rows.Add(("Buffers (valid chains)", pfn.Buffers, sg.Buffers));
        rows.Add(("PagesInflated", pfn.PagesInflated, sg.PagesInflated));
        rows.Add(("PagesDeflated", pfn.PagesDeflated, sg.PagesDeflated));
        rows.Add(("Runs", pfn.Runs, sg.Runs));
        rows.Add(("ReleaseCalls", pfn.ReleaseCalls, sg.ReleaseCalls));
        rows.Add(("BytesReleased", pfn.BytesReleased, sg.BytesReleased));
        rows.Add(("StatsUpdates", pfn.StatsUpdates, sg.StatsUpdates));
        rows.Add(("Kicks", pfn.Kicks, sg.Kicks));
        var width = rows.Max(r => r.Name.Length);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| {"Counter".PadRight(width)} | PFN (Coalesce) | SG (Coalesce) |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|{new string('-', width + 2)}|---------------:|--------------:|");
        foreach (var (name, p, s) in rows)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name.PadRight(width)} | {p,14} | {s,13} |");
        return text.ToString();
    }
}
