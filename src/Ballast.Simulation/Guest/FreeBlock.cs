using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Guest;

/// <summary>A free block of the guest: 2^<see cref="Order"/> frames from <see cref="Pfn"/>, aligned to its size.</summary>
/// <param name="Pfn">Its first frame.</param>
/// <param name="Order">Its buddy order (9 = 2 MiB, 10 = 4 MiB).</param>
public readonly record struct FreeBlock(ulong Pfn, int Order)
{
    /// <summary>Guest-physical address of its first byte.</summary>
    public ulong GuestPhysAddr => Pfn << GuestPage.Shift;

    /// <summary>Frames in the block.</summary>
    public ulong Frames => 1UL << Order;

    /// <summary>Bytes in the block.</summary>
    public ulong Bytes => (ulong)GuestPage.Size << Order;
}
