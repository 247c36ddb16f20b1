namespace Ballast.Virtio.Memory;

/// <summary>
/// Where one guest RAM region lives: <paramref name="Size"/> bytes of file <paramref name="Fd"/> starting at
/// <paramref name="FdOffset"/>, seen by the guest at <paramref name="GuestPhysAddr"/>. This is the shape of a
/// vhost-user memory region (guest address, size, mmap offset, fd), so regions built from our own memfd and
/// regions received from QEMU go through the same code.
/// </summary>
/// <param name="Fd">A file descriptor that can be mmapped MAP_SHARED (memfd, tmpfs or hugetlbfs file).</param>
/// <param name="FdOffset">Offset of the region in the file.</param>
/// <param name="GuestPhysAddr">Guest-physical address of the region's first byte.</param>
/// <param name="Size">Region size in bytes; a multiple of 4096.</param>
/// <param name="OwnsFd">True if <see cref="GuestMemory"/> closes the descriptor when disposed.</param>
/// <param name="Backing">What backs the file when the caller made it and knows; null: probe the file (see
/// <see cref="MemoryBacking"/>).</param>
public readonly record struct RegionSpec(int Fd, ulong FdOffset, ulong GuestPhysAddr, ulong Size, bool OwnsFd, MemoryBacking? Backing = null);
