using Ballast.Simulation.Guest;

namespace Ballast.Simulation.Tests.Guest;

/// <summary>Usable-RAM layouts for building <see cref="BuddyAllocator"/>s in tests.</summary>
internal static class GuestLayouts
{
    /// <summary>First frame of the legacy BIOS hole in QEMU's low memory.</summary>
    public const ulong HoleStart = 0xf0;

    /// <summary>First frame after the legacy BIOS hole.</summary>
    public const ulong HoleEnd = 0x100;

    /// <summary>One range of <paramref name="frames"/> frames starting at PFN 0.</summary>
    public static (ulong StartPfn, ulong Count)[] Flat(ulong frames) => [(0, frames)];

    /// <summary>QEMU-like RAM: frames [0, 0xf0) and [0x100, frames); 0xf0..0xff is a hole.</summary>
    public static (ulong StartPfn, ulong Count)[] Qemu(ulong frames) =>
        [(0, HoleStart), (HoleEnd, frames - HoleEnd)];

    /// <summary>Free-list lengths for orders 0..10, as in <c>/proc/buddyinfo</c>.</summary>
    public static int[] BuddyInfo(BuddyAllocator allocator)
    {
        var counts = new int[BuddyAllocator.OrderCount];
        for (var order = 0; order < counts.Length; order++)
            counts[order] = allocator.FreeBlocks(order);
        return counts;
    }
}
