// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics queue (VIRTIO 1.2 5.5.6.3), as the stock driver runs it: the driver primes the
 * queue with one buffer of (le16 tag, le64 value) pairs; each time the device returns it, that is a
 * request for fresh figures, and the driver refills the same buffer from a work item (collecting
 * them can sleep) and adds it again.
 */
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/swap.h>
#include <linux/vmstat.h>
#include <linux/virtio_config.h>

#include "ballast_balloon.h"

static void bb_stat(struct ballast_balloon *vb, unsigned int *n, u16 tag, u64 val)
{
	vb->stats[*n].tag = cpu_to_virtio16(vb->vdev, tag);
	vb->stats[*n].val = cpu_to_virtio64(vb->vdev, val);
	(*n)++;
}

static u64 bb_bytes(unsigned long pages)
{
	return (u64)pages << PAGE_SHIFT;
}

/* Fills vb->stats; returns the number of entries. */
static unsigned int bb_stats_fill(struct ballast_balloon *vb)
{
	struct sysinfo si;
	unsigned int n = 0;
#ifdef CONFIG_VM_EVENT_COUNTERS
	unsigned long events[NR_VM_EVENT_ITEMS];

	all_vm_events(events);
	bb_stat(vb, &n, VIRTIO_BALLOON_S_SWAP_IN, bb_bytes(events[PSWPIN]));
	bb_stat(vb, &n, VIRTIO_BALLOON_S_SWAP_OUT, bb_bytes(events[PSWPOUT]));
	bb_stat(vb, &n, VIRTIO_BALLOON_S_MAJFLT, events[PGMAJFAULT]);
	bb_stat(vb, &n, VIRTIO_BALLOON_S_MINFLT, events[PGFAULT]);
#ifdef CONFIG_HUGETLB_PAGE
	bb_stat(vb, &n, VIRTIO_BALLOON_S_HTLB_PGALLOC, events[HTLB_BUDDY_PGALLOC]);
	bb_stat(vb, &n, VIRTIO_BALLOON_S_HTLB_PGFAIL, events[HTLB_BUDDY_PGALLOC_FAIL]);
#endif
#endif
	si_meminfo(&si);
	bb_stat(vb, &n, VIRTIO_BALLOON_S_MEMFREE, bb_bytes(si.freeram));
	bb_stat(vb, &n, VIRTIO_BALLOON_S_MEMTOT, bb_bytes(si.totalram));
	bb_stat(vb, &n, VIRTIO_BALLOON_S_AVAIL, bb_bytes(si_mem_available()));
	bb_stat(vb, &n, VIRTIO_BALLOON_S_CACHES, bb_bytes(global_node_page_state(NR_FILE_PAGES)));
	return n;
}

static int bb_stats_add(struct ballast_balloon *vb, unsigned int n)
{
	struct scatterlist sg;
	int err;

	sg_init_one(&sg, vb->stats, sizeof(vb->stats[0]) * n);
	err = virtqueue_add_outbuf(vb->stats_vq, &sg, 1, vb, GFP_KERNEL);
	if (!err)
		virtqueue_kick(vb->stats_vq);
	return err;
}

/* Before the device is live: the queue is empty, so this fails only on a broken device. */
int bb_stats_prime(struct ballast_balloon *vb)
{
	return bb_stats_add(vb, bb_stats_fill(vb));
}

/* The stats queue's interrupt: the device returned the buffer and wants fresh figures. */
void bb_stats_request(struct virtqueue *vq)
{
	struct ballast_balloon *vb = vq->vdev->priv;

	spin_lock(&vb->stop_lock);
	if (!vb->stop_update)
		queue_work(system_freezable_wq, &vb->stats_work);
	spin_unlock(&vb->stop_lock);
}

void bb_stats_work(struct work_struct *work)
{
	struct ballast_balloon *vb = container_of(work, struct ballast_balloon, stats_work);
	unsigned int len;

	/* Refill only once the device has given the buffer back: it may still be reading it. */
	if (!virtqueue_get_buf(vb->stats_vq, &len))
		return;
	if (bb_stats_add(vb, bb_stats_fill(vb)))
		dev_warn_ratelimited(&vb->vdev->dev, "stats: cannot add the buffer again\n");
}
