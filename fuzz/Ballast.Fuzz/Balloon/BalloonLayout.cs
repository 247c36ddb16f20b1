using Ballast.Virtio.Memory;

namespace Ballast.Fuzz.Balloon;

/// <summary>
/// Guest RAM of the <c>balloon</c> target (the shape of tests/Ballast.Balloon.Tests' DeviceRig), one memfd of
/// 1 MiB + 64 KiB with file offsets out of guest order:
/// <code>
/// Ctl  [0, 256K)              fd 0      rings (inflate 0x1000, deflate 0x3000, stats 0x5000, reporting 0x7000), buffers [64K, 256K)
///      hole [256K, 1M)
/// A    [1M, 1M+256K)          fd 256K   PFN 0x100..0x13f   ┐ adjacent in guest space,
/// B    [1M+256K, 1M+512K)     fd 768K   PFN 0x140..0x17f   ┘ not in the file
///      hole up to 4G
/// C    [4G, 4G+256K)          fd 512K   PFN 0x100000..0x10003f
/// Top  [2^64−128K, 2^64−64K)  fd 1M     beyond any 32-bit PFN: reachable with SG only
/// </code>
/// A, B, C and Top are data: every page of them holds a pattern unless the device holds it ballooned.
/// </summary>
internal static class BalloonLayout
{
    public const ulong KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, Page = Ballast.Virtio.Memory.GuestPage.Size;
    public const ulong Ctl = 0, CtlSize = 256 * KiB;
    public const ulong A = 1 * MiB, B = A + RegionSize, C = 4 * GiB, Top = 0xFFFF_FFFF_FFFE_0000;
    public const ulong RegionSize = 256 * KiB, TopSize = 64 * KiB;
    public const ulong BufferArea = 64 * KiB;

    /// <summary>
    /// Ring bases per queue index (inflate, deflate, then stats and/or reporting): table at +0, avail at +0x800, used at
    /// +0xc00; sizes up to 128.
    /// </summary>
    public static readonly ulong[] RingBases = [0x1000, 0x3000, 0x5000, 0x7000];

    public const ulong AvailOffset = 0x800, UsedOffset = 0xc00;

    /// <summary>The data regions as (guest address, size).</summary>
    public static readonly (ulong Gpa, ulong Size)[] Data = [(A, RegionSize), (B, RegionSize), (C, RegionSize), (Top, TopSize)];

    /// <summary>Frame numbers of every data page, in order.</summary>
    public static readonly ulong[] DataPfns = [.. Data.SelectMany(r => Enumerable.Range(0, (int)(r.Size / Page)).Select(i => (r.Gpa / Page) + (ulong)i))];

    public static GuestMemory Create() => GuestMemory.CreateMemfd(
        [(Ctl, CtlSize, 0), (A, RegionSize, 256 * KiB), (B, RegionSize, 768 * KiB), (C, RegionSize, 512 * KiB), (Top, TopSize, 1 * MiB)],
        "ballast-fuzz-balloon");
}
