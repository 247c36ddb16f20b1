using Ballast.Balloon.Device;
using Ballast.Fuzz.Support;
using static Ballast.Fuzz.Balloon.BalloonLayout;

namespace Ballast.Fuzz.Balloon;

/// <summary>
/// The <c>balloon</c> seed corpus: valid PFN buffers (coalescing and per-page release), SG ranges (across the A/B
/// seam, in C, in Top), statistics buffers, free page reports (with and without stats, with poison_val), indirect
/// tables, deferred release, a reset, and typical bad input.
/// </summary>
internal static class BalloonSeeds
{
    private const int Inflate = BalloonQueue.Inflate, Deflate = BalloonQueue.Deflate, Stats = BalloonQueue.Stats;
    private const uint PfnA = (uint)(A / Page), PfnB = (uint)(B / Page), PfnC = (uint)(C / Page);

    public static IEnumerable<(string Name, byte[] Input)> All()
    {
        foreach (var (name, mode) in new[] { ("pfn-coalesce", (byte)0), ("pfn-per-page", BalloonScript.PerPage) })
        {
            yield return (name, new BalloonScript(mode)
                .Buffer(Inflate, WireBytes.PfnRun(PfnA + 60, 8))                  // runs across the A/B seam
                .Buffer(Inflate, WireBytes.Concat(WireBytes.PfnRun(PfnC, 4), WireBytes.Pfns(PfnB + 3, PfnA + 1)))
                .Buffer(Deflate, WireBytes.Pfns(PfnA + 61, PfnC + 2))
                .ToArray());
        }
        foreach (var (name, mode) in new[] { ("sg-coalesce", BalloonScript.Sg), ("sg-per-page", (byte)(BalloonScript.Sg | BalloonScript.PerPage)) })
        {
            yield return (name, new BalloonScript(mode)
                .Buffer(Inflate, (A + 0x3e000, (uint)0x4000), (C, (uint)0x8000))    // the first range spans A and B
                .Buffer(Inflate, false, true, true, (Top, (uint)0x2000))            // device-writable, as the seed's driver sends them
                .Buffer(Deflate, (A + 0x3f000, (uint)0x2000))
                .ToArray());
        }
        yield return ("stats", new BalloonScript(0)
            .Buffer(Stats, WireBytes.Stats((0, 1), (1, 2), (4, 0x1000_0000), (5, 0x4000_0000), (42, 7)))
            .RequestStatistics()
            .Buffer(Stats, WireBytes.Stats((4, 0x2000_0000)), WireBytes.Stats((6, 0x3000_0000)))
            .SetTarget(256)
            .WriteConfig(4, 16, 0, 0, 0)
            .ToArray());
        yield return ("reporting", new BalloonScript(0)
            .Report((A + 0x3c000, (uint)0x8000), (A + 1, (uint)0x1000), (C, (uint)0), (0x4_0000UL, (uint)0x1000), (Top, (uint)0x1000))
            .Buffer(Inflate, WireBytes.PfnRun(PfnA + 60, 4))                     // frames reported before, ballooned now
            .ToArray());
        yield return ("reporting-no-stats", new BalloonScript(BalloonScript.NoStats)
            .Buffer(Stats, false, true, true, (C + 0x4000, (uint)0x4000))        // index 2 is the reporting queue now
            .ToArray());
        yield return ("reporting-poison", new BalloonScript(BalloonScript.Defer)
            .WriteConfig(12, 0xaa, 0xaa, 0xaa, 0xaa)
            .Report((B, (uint)0x10000))
            .ToArray());
        yield return ("indirect-pfn", new BalloonScript(BalloonScript.Indirect | BalloonScript.EventIdx)
            .Buffer(Inflate, true, true, false, WireBytes.PfnRun(PfnB, 4), WireBytes.PfnRun(PfnB + 8, 4))
            .Buffer(Deflate, true, true, false, WireBytes.PfnRun(PfnB + 2, 4))
            .ToArray());
        yield return ("deferred-release", new BalloonScript(BalloonScript.Defer)
            .Buffer(Inflate, false, false, false, WireBytes.PfnRun(PfnA, 16))
            .Buffer(Inflate, WireBytes.PfnRun(PfnA + 16, 16))
            .Buffer(Deflate, WireBytes.PfnRun(PfnA + 8, 16))
            .ToArray());
        yield return ("reset", new BalloonScript(BalloonScript.Sg | BalloonScript.Size(4))
            .Buffer(Inflate, (B, (uint)0x10000))
            .Reset()
            .Buffer(Inflate, (B + 0x8000, (uint)0x1000))
            .ToArray());
        yield return ("bad-input", new BalloonScript(0)
            .Buffer(Inflate, WireBytes.Pfns(0x7, 0xffff_ffff, PfnA, PfnA, 0x200), new byte[] { 1, 2, 3 })   // Ctl, outside, duplicate, hole; a partial PFN
            .Buffer(Inflate, (0x1234_0000UL, (uint)64))                                                     // a buffer outside RAM
            .AvailIdx(Deflate, 40)                                                                          // the driver runs ahead: broken
            .KickAll()
            .ToArray());
        yield return ("bad-sg", new BalloonScript(BalloonScript.Sg)
            .Buffer(Inflate, (A + 1, (uint)0x1000), (A, (uint)0), (A, (uint)0xffff_ffff), (0x4_0000UL, (uint)0x1000), (B + RegionSize - 0x1000, (uint)0x2000))
            .ToArray());
    }
}
