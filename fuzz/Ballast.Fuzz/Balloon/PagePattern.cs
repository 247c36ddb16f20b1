using System.Buffers.Binary;
using Ballast.Virtio.Memory;

namespace Ballast.Fuzz.Balloon;

/// <summary>
/// The known contents of a guest page the device must leave alone: the page's frame number in its first 8 bytes
/// (so a page copied to the wrong place shows), a fixed pseudo-random body after. A released page reads as zeros.
/// </summary>
internal sealed class PagePattern
{
    private readonly byte[] _body = new byte[(int)BalloonLayout.Page];

    public PagePattern()
    {
        var x = 0x9E37_79B9_7F4A_7C15UL;
        for (var i = 0; i < _body.Length; i += 8)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(_body.AsSpan(i), x);
        }
    }

    public void Fill(GuestMemory memory, ulong pfn)
    {
        var page = memory.GetSpan(pfn * BalloonLayout.Page, (int)BalloonLayout.Page);
        _body.CopyTo(page);
        BinaryPrimitives.WriteUInt64LittleEndian(page, Tag(pfn));
    }

    /// <summary>
    /// Returns the offset of the first byte that differs from the pattern, or -1. Without <paramref name="full"/>
    /// only the first and last 8 bytes are compared: enough to see a release (the whole page becomes zeros) at
    /// a fraction of the cost.
    /// </summary>
    public int FirstDifference(GuestMemory memory, ulong pfn, bool full)
    {
        var page = memory.GetSpan(pfn * BalloonLayout.Page, (int)BalloonLayout.Page);
        if (BinaryPrimitives.ReadUInt64LittleEndian(page) != Tag(pfn))
            return 0;
        if (!full)
            return page[^8..].SequenceEqual(_body.AsSpan(_body.Length - 8)) ? -1 : page.Length - 8;
        var same = page[8..].CommonPrefixLength(_body.AsSpan(8));
        return same == page.Length - 8 ? -1 : 8 + same;
    }

    private static ulong Tag(ulong pfn) => pfn ^ 0xA5A5_0000_0000_0000;
}
