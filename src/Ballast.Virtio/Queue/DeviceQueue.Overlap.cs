using Ballast.Linux.Interop;
using Ballast.Virtio.Memory;

namespace Ballast.Virtio.Queue;

public sealed unsafe partial class DeviceQueue
{
    /// <summary>
    /// VIRTIO 1.2 §2.7: the Device Area (used ring) is the one part the device writes. If that memory is also the
    /// Driver Area (available ring) or the Descriptor Area, the device's own writes change what it reads: a used
    /// index written over the available index offers the device one new buffer per buffer it returns, and it never
    /// finishes draining. Areas are compared as ranges of the files behind guest RAM, not as guest addresses: two
    /// regions may map the same file offsets (a vhost-user memory table may alias). Call only once every area is
    /// known to lie inside one region.
    /// </summary>
    private static string? CheckUsedRingIsSeparate(GuestMemory memory, int size, RingAddresses addresses)
    {
        var used = FileSpan.Of(memory, addresses.UsedRing, SplitRing.UsedRingBytes(size));
        if (used.Overlaps(FileSpan.Of(memory, addresses.AvailableRing, SplitRing.AvailableRingBytes(size))))
            return $"used ring at 0x{addresses.UsedRing:x} shares memory with the available ring at 0x{addresses.AvailableRing:x}";
        if (used.Overlaps(FileSpan.Of(memory, addresses.DescriptorTable, SplitRing.DescriptorTableBytes(size))))
            return $"used ring at 0x{addresses.UsedRing:x} shares memory with the descriptor table at 0x{addresses.DescriptorTable:x}";
        return null;
    }

    /// <summary>Bytes [Start, End) of the file (st_dev, st_ino) behind a guest range that lies inside one region.</summary>
    private readonly record struct FileSpan(ulong Device, ulong Inode, ulong Start, ulong End)
    {
        public bool Overlaps(in FileSpan other) =>
            Device == other.Device && Inode == other.Inode && Start < other.End && other.Start < End;

        public static FileSpan Of(GuestMemory memory, ulong gpa, ulong length)
        {
            var region = memory.FindRegion(gpa)!;
            var start = region.FdOffset + (gpa - region.GuestPhysAddr);
            var stat = stackalloc byte[Libc.StatBufferSize];
            // Without fstat the file cannot be told: take the descriptor itself as its identity.
            return Libc.fstat(region.Fd, stat) == 0
                ? new FileSpan(*(ulong*)(stat + Libc.StatDevOffset), *(ulong*)(stat + Libc.StatInoOffset), start, start + length)
                : new FileSpan(ulong.MaxValue, (ulong)region.Fd, start, start + length);
        }
    }
}
