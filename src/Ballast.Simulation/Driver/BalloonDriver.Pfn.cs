using Ballast.Virtio.Memory;
using Ballast.Linux;
using System.Buffers.Binary;
using Ballast.Virtio.Queue;

namespace Ballast.Simulation.Driver;

public sealed partial class BalloonDriver
{
    /// <summary>
    /// Linux fill_balloon without SG: allocate up to 256 pages, put their PFNs in the array, tell_host: one
    /// buffer, kick, wait for it.
    /// </summary>
    private ulong FillPfn(int num)
    {
        var got = AllocatePages(num);
        if (got == 0)
            return 0;
        var pfns = _pages.AsSpan((int)_count, (int)got);
        WritePfnArray(pfns);
        _count += got;
        AddKickAndWait(_inflate!, _inflateCall!, [new BufferSegment(_pfnArrayGpa, (uint)(got * sizeof(uint)), DeviceWritable: false)]);
        return (ulong)got;
    }

    /// <summary>
    /// Linux leak_balloon without SG: take up to 256 pages off the balloon, tell the host, and only then give
    /// the pages back to the allocator (the VIRTIO_BALLOON_F_MUST_TELL_HOST order, which Linux always keeps).
    /// Allocates nothing, so the OOM path uses it too.
    /// </summary>
    private ulong LeakPfn(int num)
    {
        var n = (int)Math.Min(num, _count);
        if (n == 0)
            return 0;
        var pfns = _pages.AsSpan((int)(_count - n), n);
        WritePfnArray(pfns);
        _count -= n;
        AddKickAndWait(_deflate!, _deflateCall!, [new BufferSegment(_pfnArrayGpa, (uint)(n * sizeof(uint)), DeviceWritable: false)]);
        FreePages(pfns);
        return (ulong)n;
    }

    /// <summary>One page on its own (migration).</summary>
    private void SendOne(DriverQueue queue, EventFd call, ulong pfn)
    {
        if (ScatterGather)
        {
            AddKickAndWait(queue, call, [new BufferSegment(pfn << PageShift, GuestPage.Size, DeviceWritable: true)]);
            return;
        }
        WritePfnArray([pfn]);
        AddKickAndWait(queue, call, [new BufferSegment(_pfnArrayGpa, sizeof(uint), DeviceWritable: false)]);
    }

    /// <summary>set_page_pfns: le32 PFNs in 4 KiB units (VIRTIO 1.2 §5.5.6).</summary>
    private void WritePfnArray(ReadOnlySpan<ulong> pfns)
    {
        var array = _guest.Memory.GetSpan(_pfnArrayGpa, pfns.Length * sizeof(uint));
        for (var i = 0; i < pfns.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(array[(i * sizeof(uint))..], (uint)pfns[i]);
    }
}
