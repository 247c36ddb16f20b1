using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Ballast.TestKit;
using Ballast.Linux.Interop;
using Ballast.Virtio.Queue;
using Ballast.Virtio.Tests.Support;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// The wire layout and constants we hard-code, compared with what gcc makes of the system's C headers
/// (linux/virtio_ring.h for the ring, libc headers for Interop/Libc.cs), as Tmds.LibC's ABI tests do.
/// <see cref="SplitRingLayoutTests"/> pins the same numbers without a compiler.
/// </summary>
public sealed unsafe class SplitRingAbiTests(CHeaderValues c) : IClassFixture<CHeaderValues>
{
    [GccFact]
    public void Descriptor_FieldsAreWhereVringDescHasThem()
    {
        Matches("sizeof_vring_desc", (ulong)Descriptor.Size);
        var bytes = new byte[Descriptor.Size];
        var d = new Descriptor(0x1122334455667788, 0x99aabbcc, 0xddee, 0xf00d);

        fixed (byte* p = bytes)
            RingMemory.WriteDescriptor(p, d);

        Assert.Equal(d.Address, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)c["vring_desc_addr"])));
        Assert.Equal(d.Length, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)c["vring_desc_len"])));
        Assert.Equal(d.Flags, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)c["vring_desc_flags"])));
        Assert.Equal(d.Next, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)c["vring_desc_next"])));
        fixed (byte* p = bytes)
            Assert.Equal(d, RingMemory.ReadDescriptor(p));
        var viaBuilder = new byte[Descriptor.Size];
        RingBuilder.WriteDescriptor(viaBuilder, d);
        Assert.Equal(bytes, viaBuilder);
    }

    [GccFact]
    public void AvailableRing_OffsetsMatchVringAvail()
    {
        Matches("vring_avail_flags", (ulong)SplitRing.AvailFlagsOffset);
        Matches("vring_avail_idx", (ulong)SplitRing.AvailIdxOffset);
        Matches("vring_avail_ring", (ulong)SplitRing.AvailRingOffset);
        Matches("used_event", SplitRing.AvailRingOffset + 2UL * CHeaderValues.RingSize);
        Assert.Equal(c["used_event"] + 2, SplitRing.AvailableRingBytes(CHeaderValues.RingSize));
    }

    [GccFact]
    public void UsedRing_OffsetsMatchVringUsed()
    {
        Matches("sizeof_vring_used_elem", (ulong)SplitRing.UsedElementSize);
        Assert.Equal(0UL, c["vring_used_elem_id"]);
        Assert.Equal(4UL, c["vring_used_elem_len"]);
        Matches("vring_used_flags", (ulong)SplitRing.UsedFlagsOffset);
        Matches("vring_used_idx", (ulong)SplitRing.UsedIdxOffset);
        Matches("vring_used_ring", (ulong)SplitRing.UsedRingOffset);
        Matches("avail_event", SplitRing.UsedRingOffset + (ulong)SplitRing.UsedElementSize * CHeaderValues.RingSize);
        Assert.Equal(c["avail_event"] + 2, SplitRing.UsedRingBytes(CHeaderValues.RingSize));
    }

    [GccFact]
    public void DeviceQueue_WritesUsedElementsAndAvailEventWhereVringUsedHasThem()
    {
        // Independent of our constants: read the raw bytes at the C offsets.
        using var ring = new RingBuilder(CHeaderValues.RingSize, VirtioFeatures.Bit(VirtioFeatures.EventIdx));
        var device = ring.CreateDevice();
        var head = ring.AddChain(ring.Writable(64));
        Assert.Equal(PopResult.Chain, device.TryPop(new Descriptor[CHeaderValues.RingSize], out _));

        device.PushUsed(head, 0xabcdef);
        device.DisableNotifications();
        Assert.False(device.EnableNotifications());

        var used = ring.Bytes(ring.Addresses.UsedRing, (int)c["avail_event"] + 2);
        var elem = used[(int)c["vring_used_ring"]..];
        Assert.Equal(head, BinaryPrimitives.ReadUInt32LittleEndian(elem[(int)c["vring_used_elem_id"]..]));
        Assert.Equal(0xabcdefU, BinaryPrimitives.ReadUInt32LittleEndian(elem[(int)c["vring_used_elem_len"]..]));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(used[(int)c["vring_used_idx"]..]));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(used[(int)c["avail_event"]..]));
    }

    [GccFact]
    public void FlagsAndFeatureBits_MatchLinuxHeaders()
    {
        Matches("VRING_DESC_F_NEXT", Descriptor.FlagNext);
        Matches("VRING_DESC_F_WRITE", Descriptor.FlagWrite);
        Matches("VRING_DESC_F_INDIRECT", Descriptor.FlagIndirect);
        Matches("VRING_USED_F_NO_NOTIFY", SplitRing.UsedFlagNoNotify);
        Matches("VRING_AVAIL_F_NO_INTERRUPT", SplitRing.AvailFlagNoInterrupt);
        Matches("VIRTIO_RING_F_INDIRECT_DESC", (ulong)VirtioFeatures.IndirectDesc);
        Matches("VIRTIO_RING_F_EVENT_IDX", (ulong)VirtioFeatures.EventIdx);
        Matches("VIRTIO_F_VERSION_1", (ulong)VirtioFeatures.Version1);
        Matches("VRING_DESC_ALIGN_SIZE", (ulong)SplitRing.DescriptorAlignment);
        Matches("VRING_AVAIL_ALIGN_SIZE", (ulong)SplitRing.AvailableAlignment);
        Matches("VRING_USED_ALIGN_SIZE", (ulong)SplitRing.UsedAlignment);
    }

    [GccFact]
    public void NeedEvent_AgreesWithVringNeedEvent()
    {
        foreach (var e in CHeaderValues.NeedEventSamples)
            foreach (var n in CHeaderValues.NeedEventSamples)
                foreach (var o in CHeaderValues.NeedEventSamples)
                    Assert.True(c[$"need_event_{e}_{n}_{o}"] == (SplitRing.NeedEvent(e, n, o) ? 1UL : 0UL),
                        $"vring_need_event({e}, {n}, {o}) = {c[$"need_event_{e}_{n}_{o}"]}");
    }

    [GccFact]
    public void StatAndPollFd_LayoutsMatchLibc()
    {
        Assert.True(c["sizeof_stat"] <= Libc.StatBufferSize);
        Matches("stat_st_dev", (ulong)Libc.StatDevOffset);
        Matches("stat_st_ino", (ulong)Libc.StatInoOffset);
        Matches("stat_st_blocks", (ulong)Libc.StatBlocksOffset);
        Assert.Equal(8UL, c["sizeof_st_dev"]);   // read as ulong
        Assert.Equal(8UL, c["sizeof_st_ino"]);
        Assert.Equal(8UL, c["sizeof_st_blocks"]);
        Matches("sizeof_pollfd", (ulong)sizeof(Libc.pollfd));
        Matches("pollfd_fd", (ulong)Marshal.OffsetOf<Libc.pollfd>(nameof(Libc.pollfd.fd)));
        Matches("pollfd_events", (ulong)Marshal.OffsetOf<Libc.pollfd>(nameof(Libc.pollfd.events)));
        Matches("pollfd_revents", (ulong)Marshal.OffsetOf<Libc.pollfd>(nameof(Libc.pollfd.revents)));
        Matches("sizeof_iovec", (ulong)sizeof(Libc.iovec));
        Matches("iovec_iov_base", (ulong)Marshal.OffsetOf<Libc.iovec>(nameof(Libc.iovec.iov_base)));
        Matches("iovec_iov_len", (ulong)Marshal.OffsetOf<Libc.iovec>(nameof(Libc.iovec.iov_len)));
    }

    [GccFact]
    public void LibcConstants_MatchHeaders()
    {
        Matches("MFD_CLOEXEC", Libc.MFD_CLOEXEC);
        Matches("MFD_ALLOW_SEALING", Libc.MFD_ALLOW_SEALING);
        Matches("F_ADD_SEALS", (ulong)Libc.F_ADD_SEALS);
        Matches("F_GET_SEALS", (ulong)Libc.F_GET_SEALS);
        Matches("F_SEAL_SEAL", (ulong)Libc.F_SEAL_SEAL);
        Matches("F_SEAL_SHRINK", (ulong)Libc.F_SEAL_SHRINK);
        Matches("F_SEAL_GROW", (ulong)Libc.F_SEAL_GROW);
        Matches("EPERM", (ulong)Libc.EPERM);
        Matches("PROT_READ", (ulong)Libc.PROT_READ);
        Matches("PROT_WRITE", (ulong)Libc.PROT_WRITE);
        Matches("MAP_SHARED", (ulong)Libc.MAP_SHARED);
        Matches("MAP_NORESERVE", (ulong)Libc.MAP_NORESERVE);
        Matches("MAP_FAILED", (ulong)(long)Libc.MAP_FAILED);
        Matches("FALLOC_FL_KEEP_SIZE", (ulong)Libc.FALLOC_FL_KEEP_SIZE);
        Matches("FALLOC_FL_PUNCH_HOLE", (ulong)Libc.FALLOC_FL_PUNCH_HOLE);
        Matches("MADV_REMOVE", (ulong)Libc.MADV_REMOVE);
        Matches("MADV_POPULATE_WRITE", (ulong)Libc.MADV_POPULATE_WRITE);
        Matches("EFD_NONBLOCK", (ulong)Libc.EFD_NONBLOCK);
        Matches("EFD_CLOEXEC", (ulong)Libc.EFD_CLOEXEC);
        Matches("POLLIN", (ulong)Libc.POLLIN);
        Matches("POLLOUT", (ulong)Libc.POLLOUT);
        Matches("POLLNVAL", (ulong)Libc.POLLNVAL);
        Matches("RWF_NOWAIT", (ulong)Libc.RWF_NOWAIT);
        Matches("EINTR", (ulong)Libc.EINTR);
        Matches("EAGAIN", (ulong)Libc.EAGAIN);
        Matches("EINVAL", (ulong)Libc.EINVAL);
        Matches("ENOSYS", (ulong)Libc.ENOSYS);
        Matches("EOPNOTSUPP", (ulong)Libc.EOPNOTSUPP);
    }

    /// <summary>Asserts our value equals the C one (the header is the reference).</summary>
    private void Matches(string name, ulong ours) =>
        Assert.True(c[name] == ours, $"{name}: the C headers say {c[name]}, Ballast.Virtio says {ours}");
}
