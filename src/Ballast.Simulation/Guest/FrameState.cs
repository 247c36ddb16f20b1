
namespace Ballast.Simulation.Guest;

/// <summary>
/// The one byte <see cref="BuddyAllocator"/> keeps per guest frame (Linux keeps the same facts in
/// <c>struct page</c>: <c>PageBuddy</c>, <c>buddy_order</c>).
/// </summary>
/// <remarks>
/// <code>
///   7   6   5   4 3 2 1 0
/// +---+---+---+---------+
/// | A | H | R |  order  |   0x00        free, inside a free block but not its first frame
/// +---+---+---+---------+   0x40|order  first frame of a free block of that order (on a free list)
///                           0x60|order  the same, reported to the host (Linux <c>PageReported</c>; order ≥ the
///                                       reporting order only)
///                           0x80        allocated (handed out by TryAlloc or Reserve)
///                           0xC0        isolated: every frame of a free block taken off its list while it is
///                                       being reported (Linux <c>__isolate_free_page</c>)
///                           0xFF        hole: not guest RAM, never handed out
/// </code>
/// Free frames are exactly the bytes below <see cref="Allocated"/>, so "is this frame free" is one
/// compare, and a whole block can be checked with a vectorised span search. Orders go up to 10, so
/// four bits hold them and bit 5 is free for the reported flag.
/// </remarks>
internal static class FrameState
{
    /// <summary>Free, and not the first frame of its free block.</summary>
    public const byte FreeTail = 0x00;

    /// <summary>First frame of a free block; the low bits carry the block's order.</summary>
    public const byte FreeHead = 0x40;

    /// <summary>Set in a <see cref="FreeHead"/> byte when the block was reported to the host and not reused since.</summary>
    public const byte Reported = 0x20;

    /// <summary>Mask for the order stored in a <see cref="FreeHead"/> byte.</summary>
    public const byte OrderMask = 0x1F;

    /// <summary>Allocated: every frame of an allocated block carries this byte.</summary>
    public const byte Allocated = 0x80;

    /// <summary>Taken off the free lists to be reported: not free, not allocated, not to be freed or reserved.</summary>
    public const byte Isolated = 0xC0;

    /// <summary>Not guest RAM (a gap between usable ranges).</summary>
    public const byte Hole = 0xFF;

    /// <summary>The byte marking the first frame of a free block of <paramref name="order"/>.</summary>
    public static byte Head(int order) => (byte)(FreeHead | order);

    /// <summary>The head byte <paramref name="state"/> with the reported flag cleared, to compare with <see cref="Head"/>.</summary>
    public static byte Unreported(byte state) => (byte)(state & ~Reported);
}
