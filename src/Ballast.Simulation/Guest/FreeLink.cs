
namespace Ballast.Simulation.Guest;

/// <summary>
/// Intrusive doubly linked free-list node for one guest frame (Linux: <c>page-&gt;buddy_list</c>).
/// Only meaningful while the frame is the first frame of a free block; <see cref="BuddyAllocator.Nil"/>
/// ends a list. Next and previous sit side by side so an unlink touches one cache line per node.
/// </summary>
internal struct FreeLink
{
    /// <summary>PFN of the next free block of the same order, or <see cref="BuddyAllocator.Nil"/>.</summary>
    public uint Next;

    /// <summary>PFN of the previous free block of the same order, or <see cref="BuddyAllocator.Nil"/>.</summary>
    public uint Prev;
}
