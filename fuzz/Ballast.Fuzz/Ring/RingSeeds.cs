using Ballast.Fuzz.Support;
using static Ballast.Virtio.Queue.Descriptor;

namespace Ballast.Fuzz.Ring;

/// <summary>The <c>ring</c> seed corpus: well-formed chains of every kind, and the classic malformed ones.</summary>
internal static class RingSeeds
{
    private const ulong Buf = 0x2_0000; // R1: any address works, the queue does not read buffers

    public static IEnumerable<(string Name, byte[] Input)> All()
    {
        // Three chains: out, out+in, in; EVENT_IDX with used_event asking for an interrupt after the second.
        yield return ("direct-chains", RingScript.Build(3, RingScript.EventIdx, 0, 0,
            [new(Buf, 256, 0, 0), new(Buf + 0x100, 16, FlagNext, 2), new(Buf + 0x200, 64, FlagWrite, 0), new(Buf + 0x300, 128, FlagWrite, 0)],
            0, 3, [0, 1, 3], usedEvent: 1));
        // One indirect descriptor pointing at a 3-entry table in R0.
        yield return ("indirect-table", RingScript.Build(2, RingScript.Indirect | RingScript.Blob(0), 0, 0,
            [new(RingLayout.BlobBases[0], 48, FlagIndirect, 0)], 0, 1, [0],
            blob: WireBytes.Descriptors(new(Buf, 8, FlagNext, 1), new(Buf + 8, 8, FlagNext, 2), new(Buf + 16, 4096, FlagWrite, 0))));
        // A direct descriptor, then an indirect one ending the chain.
        yield return ("direct-then-indirect", RingScript.Build(2, RingScript.Indirect | RingScript.EventIdx, 0, 0,
            [new(Buf, 16, FlagNext, 1), new(RingLayout.BlobBases[0], 32, FlagIndirect, 0)], 0, 1, [0],
            blob: WireBytes.Descriptors(new(Buf + 64, 8, FlagNext, 1), new(Buf + 72, 8, FlagWrite, 0))));
        // Indices wrapping at 2^16: the device starts at 0xfffe and the used ring says 0xfffe too.
        yield return ("wrapping-indices", RingScript.Build(2, 0, 0xfffe, 0xfffe,
            [new(Buf, 4, 0, 0), new(Buf + 4, 4, 0, 0), new(Buf + 8, 4, 0, 0)], 0, 0x0001, [2, 0, 0, 1]));
        // d0 → d1 → d0.
        yield return ("loop", RingScript.Build(3, 0, 0, 0,
            [new(Buf, 4, FlagNext, 1), new(Buf, 4, FlagNext, 0)], 0, 1, [0]));
        // A loop inside an indirect table, and an indirect table across the R1/R2 seam (RAM, but two regions).
        yield return ("indirect-loop-and-seam", RingScript.Build(2, RingScript.Indirect | RingScript.Blob(2), 0, 0,
            [new(RingLayout.BlobBases[2] + 0x80, 32, FlagIndirect, 0), new(RingLayout.BlobBases[2], 0x100, FlagIndirect, 0)], 0, 2, [0, 1],
            blob: [.. new byte[0x80], .. WireBytes.Descriptors(new(Buf, 4, FlagNext, 1), new(Buf, 4, FlagNext, 0))]));
        // An indirect table on the used ring: the device's own writes (flags, elements) change it between pops.
        yield return ("indirect-table-on-used-ring", RingScript.Build(2, RingScript.Indirect, 0, 0,
            [new(RingLayout.UsedRing, 32, FlagIndirect, 0), new(RingLayout.UsedRing, 32, FlagIndirect, 0)], 0, 2, [0, 1]));
        // next beyond the table, then a head beyond the queue size: a bad chain, then a broken ring.
        yield return ("out-of-range", RingScript.Build(2, 0, 0, 0,
            [new(Buf, 4, FlagNext, 9)], 0, 2, [0, 7]));
        // The driver claims 20 new buffers on a ring of 8.
        yield return ("avail-too-far", RingScript.Build(3, 0, 0, 0, [new(Buf, 4, 0, 0)], 0, 20, [0]));
        // Indirect without the feature, indirect with NEXT, an empty table.
        yield return ("indirect-misuse", RingScript.Build(2, 0, 0, 0,
            [new(RingLayout.BlobBases[0], 16, FlagIndirect, 0), new(RingLayout.BlobBases[0], 16, FlagIndirect | FlagNext, 2), new(RingLayout.BlobBases[0], 0, FlagIndirect, 0)],
            0, 3, [0, 1, 2], blob: WireBytes.Descriptor(Buf, 4)));
    }
}
