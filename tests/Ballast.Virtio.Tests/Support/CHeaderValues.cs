using Ballast.TestKit;
namespace Ballast.Virtio.Tests.Support;

/// <summary>
/// Class fixture: sizes, offsets and constants from the system's C headers (linux/virtio_ring.h, sys/stat.h…),
/// compiled once per test class; empty when gcc is missing (the tests using it are skipped then).
/// </summary>
public sealed class CHeaderValues
{
    /// <summary>The queue size the used_event/avail_event offsets are computed for.</summary>
    public const int RingSize = 256;

    /// <summary>vring_need_event(event, new, old) is printed for every triple of these.</summary>
    public static readonly ushort[] NeedEventSamples = [0, 1, 2, 3, 100, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffd, 0xfffe, 0xffff];

    private readonly Lazy<Dictionary<string, ulong>> _values = new(() => CProgram.Available("/usr/include/linux/virtio_ring.h") ? CProgram.Run(Source) : []);

    public ulong this[string name] =>
        _values.Value.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"the C program printed no '{name}'");

    private static string Source => $$"""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <linux/falloc.h>
        #include <linux/virtio_config.h>
        #include <linux/virtio_ring.h>
        #include <poll.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/eventfd.h>
        #include <sys/mman.h>
        #include <sys/stat.h>
        #include <sys/uio.h>

        #define P(name, value) printf("%s %llu\n", name, (unsigned long long)(value))

        static unsigned char ring_memory[65536] __attribute__((aligned(4096)));

        int main(void)
        {
            P("sizeof_vring_desc", sizeof(struct vring_desc));
            P("vring_desc_addr", offsetof(struct vring_desc, addr));
            P("vring_desc_len", offsetof(struct vring_desc, len));
            P("vring_desc_flags", offsetof(struct vring_desc, flags));
            P("vring_desc_next", offsetof(struct vring_desc, next));
            P("sizeof_vring_used_elem", sizeof(struct vring_used_elem));
            P("vring_used_elem_id", offsetof(struct vring_used_elem, id));
            P("vring_used_elem_len", offsetof(struct vring_used_elem, len));
            P("vring_avail_flags", offsetof(struct vring_avail, flags));
            P("vring_avail_idx", offsetof(struct vring_avail, idx));
            P("vring_avail_ring", offsetof(struct vring_avail, ring));
            P("vring_used_flags", offsetof(struct vring_used, flags));
            P("vring_used_idx", offsetof(struct vring_used, idx));
            P("vring_used_ring", offsetof(struct vring_used, ring));

            struct vring vr;
            vring_init(&vr, {{RingSize}}, ring_memory, 4096);
            P("used_event", (unsigned char *)&vring_used_event(&vr) - (unsigned char *)vr.avail);
            P("avail_event", (unsigned char *)&vring_avail_event(&vr) - (unsigned char *)vr.used);

            P("VRING_DESC_F_NEXT", VRING_DESC_F_NEXT);
            P("VRING_DESC_F_WRITE", VRING_DESC_F_WRITE);
            P("VRING_DESC_F_INDIRECT", VRING_DESC_F_INDIRECT);
            P("VRING_USED_F_NO_NOTIFY", VRING_USED_F_NO_NOTIFY);
            P("VRING_AVAIL_F_NO_INTERRUPT", VRING_AVAIL_F_NO_INTERRUPT);
            P("VIRTIO_RING_F_INDIRECT_DESC", VIRTIO_RING_F_INDIRECT_DESC);
            P("VIRTIO_RING_F_EVENT_IDX", VIRTIO_RING_F_EVENT_IDX);
            P("VIRTIO_F_VERSION_1", VIRTIO_F_VERSION_1);
            P("VRING_DESC_ALIGN_SIZE", VRING_DESC_ALIGN_SIZE);
            P("VRING_AVAIL_ALIGN_SIZE", VRING_AVAIL_ALIGN_SIZE);
            P("VRING_USED_ALIGN_SIZE", VRING_USED_ALIGN_SIZE);

            static const unsigned short s[] = { {{string.Join(", ", NeedEventSamples)}} };
            const int n = sizeof(s) / sizeof(s[0]);
            for (int e = 0; e < n; e++)
                for (int w = 0; w < n; w++)
                    for (int o = 0; o < n; o++)
                        printf("need_event_%u_%u_%u %d\n", s[e], s[w], s[o], vring_need_event(s[e], s[w], s[o]));

            P("sizeof_stat", sizeof(struct stat));
            P("stat_st_dev", offsetof(struct stat, st_dev));
            P("sizeof_st_dev", sizeof(((struct stat *)0)->st_dev));
            P("stat_st_ino", offsetof(struct stat, st_ino));
            P("sizeof_st_ino", sizeof(((struct stat *)0)->st_ino));
            P("stat_st_blocks", offsetof(struct stat, st_blocks));
            P("sizeof_st_blocks", sizeof(((struct stat *)0)->st_blocks));
            P("sizeof_pollfd", sizeof(struct pollfd));
            P("pollfd_fd", offsetof(struct pollfd, fd));
            P("pollfd_events", offsetof(struct pollfd, events));
            P("pollfd_revents", offsetof(struct pollfd, revents));
            P("sizeof_iovec", sizeof(struct iovec));
            P("iovec_iov_base", offsetof(struct iovec, iov_base));
            P("iovec_iov_len", offsetof(struct iovec, iov_len));

            P("MFD_CLOEXEC", MFD_CLOEXEC);
            P("MFD_ALLOW_SEALING", MFD_ALLOW_SEALING);
            P("F_ADD_SEALS", F_ADD_SEALS);
            P("F_GET_SEALS", F_GET_SEALS);
            P("F_SEAL_SEAL", F_SEAL_SEAL);
            P("F_SEAL_SHRINK", F_SEAL_SHRINK);
            P("F_SEAL_GROW", F_SEAL_GROW);
            P("EPERM", EPERM);
            P("PROT_READ", PROT_READ);
            P("PROT_WRITE", PROT_WRITE);
            P("MAP_SHARED", MAP_SHARED);
            P("MAP_NORESERVE", MAP_NORESERVE);
            P("MAP_FAILED", (long)MAP_FAILED);
            P("FALLOC_FL_KEEP_SIZE", FALLOC_FL_KEEP_SIZE);
            P("FALLOC_FL_PUNCH_HOLE", FALLOC_FL_PUNCH_HOLE);
            P("MADV_REMOVE", MADV_REMOVE);
            P("MADV_POPULATE_WRITE", MADV_POPULATE_WRITE);
            P("EFD_NONBLOCK", EFD_NONBLOCK);
            P("EFD_CLOEXEC", EFD_CLOEXEC);
            P("POLLIN", POLLIN);
            P("POLLOUT", POLLOUT);
            P("POLLNVAL", POLLNVAL);
            P("RWF_NOWAIT", RWF_NOWAIT);
            P("EINTR", EINTR);
            P("EAGAIN", EAGAIN);
            P("EINVAL", EINVAL);
            P("ENOSYS", ENOSYS);
            P("EOPNOTSUPP", EOPNOTSUPP);
            return 0;
        }
        """;
}
