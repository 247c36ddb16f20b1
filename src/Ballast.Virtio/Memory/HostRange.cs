namespace Ballast.Virtio.Memory;

/// <summary>
/// A piece of guest RAM that lies inside one region, translated to host terms: the mapping address and the
/// offset in the region's file. Produced by <see cref="GuestMemory.Translate"/>; consumed by
/// <see cref="GuestMemory.Release(in HostRange)"/>.
/// </summary>
public readonly record struct HostRange(MemoryRegion Region, ulong GuestPhysAddr, nint HostAddress, ulong FdOffset, ulong Length);
