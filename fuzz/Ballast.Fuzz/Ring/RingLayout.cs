using Ballast.Virtio.Memory;

namespace Ballast.Fuzz.Ring;

/// <summary>
/// Guest RAM of the <c>ring</c> target: three 64 KiB regions on one memfd, with a hole and two regions that are
/// adjacent in guest space but not in the file (so "inside RAM" and "inside one region" differ):
/// <code>
/// R0 [0x00000, 0x10000)  fd 0x00000   descriptor table 0x0000, available ring 0x1000, used ring 0x2000, tables
///    hole [0x10000, 0x20000)
/// R1 [0x20000, 0x30000)  fd 0x10000   ┐ adjacent in guest space
/// R2 [0x30000, 0x40000)  fd 0x30000   ┘
/// </code>
/// The input's "blob" (indirect tables, anything) is written at one of <see cref="BlobBases"/>: inside R0, across
/// R0's end into the hole, across the R1/R2 seam, or at R1's start.
/// </summary>
internal static class RingLayout
{
    public const ulong RegionSize = 0x1_0000;
    public const ulong R0 = 0x0_0000, R1 = 0x2_0000, R2 = 0x3_0000;
    public const ulong DescriptorTable = 0x0000, AvailableRing = 0x1000, UsedRing = 0x2000;

    /// <summary>Where the blob goes, chosen by two bits of the config byte.</summary>
    public static readonly ulong[] BlobBases = [0x4000, 0xff80, 0x2ff80, 0x2_0000];

    /// <summary>The regions as (guest address, size, file offset).</summary>
    public static readonly (ulong Gpa, ulong Size, ulong FdOffset)[] Regions =
        [(R0, RegionSize, 0x0_0000), (R1, RegionSize, 0x1_0000), (R2, RegionSize, 0x3_0000)];

    public static GuestMemory Create() => GuestMemory.CreateMemfd(Regions, "ballast-fuzz-ring");

    /// <summary>The region index holding all of [gpa, gpa + length), or -1 (what "inside one region" means, independently of GuestMemory).</summary>
    public static int RegionOf(ulong gpa, ulong length)
    {
        for (var i = 0; i < Regions.Length; i++)
        {
            var (start, size, _) = Regions[i];
            if (gpa >= start && gpa - start < size && length <= size - (gpa - start))
                return i;
        }
        return -1;
    }
}
