using Ballast.Linux;
using Ballast.Linux.Interop;

namespace Ballast.Virtio.Memory;

/// <summary>
/// One region of guest RAM: a MAP_SHARED mapping of <see cref="Size"/> bytes of a file at <see cref="FdOffset"/>,
/// placed at guest-physical <see cref="GuestPhysAddr"/>. Owned by <see cref="GuestMemory"/>.
/// </summary>
public sealed unsafe class MemoryRegion
{
    private readonly nint _mapBase;     // what mmap returned (page aligned)
    private readonly nuint _mapLength;  // what we passed to mmap

    internal MemoryRegion(in RegionSpec spec)
    {
        if (spec.Size == 0 || spec.Size % GuestMemory.PageSize != 0)
            throw new ArgumentException($"region size 0x{spec.Size:x} is not a positive multiple of 4096", nameof(spec));
        if (spec.GuestPhysAddr % GuestMemory.PageSize != 0)
            throw new ArgumentException($"region guest address 0x{spec.GuestPhysAddr:x} is not 4 KiB aligned", nameof(spec));
        if (spec.GuestPhysAddr + spec.Size < spec.GuestPhysAddr)
            throw new ArgumentException("region wraps the 64-bit guest address space", nameof(spec));
        if (spec.FdOffset > long.MaxValue - spec.Size)
            throw new ArgumentException("region fd offset overflows", nameof(spec));

        // mmap needs a page-aligned offset; vhost-user's mmap_offset need not be one.
        var slack = spec.FdOffset % GuestMemory.PageSize;
        _mapLength = (nuint)(spec.Size + slack);
        _mapBase = Libc.mmap(0, _mapLength, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_SHARED | Libc.MAP_NORESERVE, spec.Fd, (long)(spec.FdOffset - slack));
        if (_mapBase == Libc.MAP_FAILED)
            throw SyscallException.FromLastError("mmap");

        Fd = spec.Fd;
        OwnsFd = spec.OwnsFd;
        FdOffset = spec.FdOffset;
        GuestPhysAddr = spec.GuestPhysAddr;
        Size = spec.Size;
        HostAddress = _mapBase + (nint)slack;
    }

    /// <summary>Guest-physical address of the first byte.</summary>
    public ulong GuestPhysAddr { get; }

    /// <summary>Size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>One past the last guest-physical address.</summary>
    public ulong GuestPhysEnd => GuestPhysAddr + Size;

    /// <summary>Host virtual address of the first byte (our mapping).</summary>
    public nint HostAddress { get; }

    /// <summary>The backing file descriptor.</summary>
    public int Fd { get; }

    /// <summary>Offset of the first byte in <see cref="Fd"/>.</summary>
    public ulong FdOffset { get; }

    internal bool OwnsFd { get; }

    /// <summary>How <see cref="GuestMemory.Release(in HostRange)"/> frees this region's pages; switches to
    /// <see cref="ReleaseMethod.MadviseRemove"/> when the file refuses punch-hole.</summary>
    public ReleaseMethod ReleaseMethod { get; internal set; } = ReleaseMethod.PunchHole;

    /// <summary>True if [gpa, gpa + length) lies entirely inside this region (no overflow).</summary>
    public bool Contains(ulong gpa, ulong length) =>
        gpa >= GuestPhysAddr && length <= Size && gpa - GuestPhysAddr <= Size - length;

    internal void Unmap()
    {
        _ = Libc.munmap(_mapBase, _mapLength);
        if (OwnsFd)
            _ = Libc.close(Fd);
    }
}
