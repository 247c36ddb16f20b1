

namespace Ballast.Virtio.Tests.Support;

/// <summary>Guest RAM layouts shared by the memory and queue tests. Guest addresses are just numbers: the host
/// mapping of a region at 2^64 − 128 KiB is as ordinary as one at 0.</summary>
internal static class TestLayouts
{
    public const ulong KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
    public const ulong Page = 4096;

    /// <summary>A region whose end is 64 KiB short of 2^64.</summary>
    public const ulong TopRegion = 0xFFFF_FFFF_FFFE_0000;

    /// <summary>
    /// Five 64 KiB regions on one memfd:
    /// <code>
    /// A [0, 64K)          fd 0      ┐ adjacent
    /// B [64K, 128K)       fd 64K    ┘
    ///   hole [128K, 1M)
    /// C [1M, 1M+64K)      fd 128K
    ///   hole up to 5 GiB
    /// D [5G, 5G+64K)      fd 192K
    ///   hole up to 2^64 − 128K
    /// E [Top, Top+64K)    fd 256K   (64K below 2^64, then nothing)
    /// </code>
    /// </summary>
    public static readonly (ulong GuestPhysAddr, ulong Size, ulong FdOffset)[] MultiRegion =
    [
        (0, 64 * KiB, 0),
        (64 * KiB, 64 * KiB, 64 * KiB),
        (1 * MiB, 64 * KiB, 128 * KiB),
        (5 * GiB, 64 * KiB, 192 * KiB),
        (TopRegion, 64 * KiB, 256 * KiB),
    ];

    public const ulong A = 0, B = 64 * KiB, C = 1 * MiB, D = 5 * GiB, E = TopRegion, RegionSize = 64 * KiB;
}
