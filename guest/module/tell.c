// SPDX-License-Identifier: GPL-2.0
/*
 * Telling the host about a batch of pages: arrays of 4 KiB frame numbers (the standard protocol,
 * one 256-frame buffer at a time) or, with SG, one single-entry buffer per run of contiguous pages.
 *
 * Finding the runs. The seed recorded pages in an xbitmap, which never reached the kernel. This
 * driver uses a plain bitmap over the batch's span [pfn_min, pfn_max] rather than an XArray:
 *  - a batch is dense: it takes most of the free memory in its span, so a bitmap costs one bit per
 *    page of the span (64 KiB for a 2 GiB guest), while an XArray holding the same pages as value
 *    entries needs a 576-byte node per 64 indices (about 9 bytes per page: 3.5 MiB for 1.5 GiB)
 *    plus a tree walk, a lock and a possible node allocation for every page;
 *  - __set_bit() is one instruction per page, find_next_bit()/find_next_zero_bit() skip 64 pages
 *    per word, and the runs come out sorted by address whatever order the allocator used;
 *  - the only allocation is the bitmap itself, made once and reused while large enough (a sparse
 *    batch over a huge span is walked in windows of BB_WINDOW_BITS, so it stays at most 1 MiB).
 * When the bitmap cannot be allocated, and always in the OOM path (which must not allocate), runs
 * are taken in list order instead: each page extends the current run if it is adjacent to it
 * (above or below), else starts a new one. That needs no memory at all; in the worst case it sends
 * one entry per page, as the seed's leak_balloon_sg_oom() did.
 */
#include <linux/bitmap.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "ballast_balloon.h"

/* ---- PFN arrays (no SG) ------------------------------------------------------------------- */

static void bb_send_pfns(struct ballast_balloon *vb, struct virtqueue *vq)
{
	struct scatterlist sg;
	unsigned int len;
	int err;

	sg_init_one(&sg, vb->pfns, sizeof(vb->pfns[0]) * vb->num_pfns);
	vb->num_pfns = 0;
	/* The queue is empty (one buffer at a time), so adding only fails on a broken device. */
	err = virtqueue_add_outbuf(vq, &sg, 1, vb, GFP_KERNEL);
	if (unlikely(err)) {
		dev_err_ratelimited(&vb->vdev->dev, "%s: cannot add a PFN buffer (%d)\n", vq->name, err);
		return;
	}
	vb->tally.entries++;
	virtqueue_kick(vq);
	vb->tally.kicks++;
	wait_event(vb->acked, virtqueue_get_buf(vq, &len) || virtqueue_is_broken(vq));
}

static void bb_add_pfns(struct ballast_balloon *vb, struct virtqueue *vq, struct page *page)
{
	u32 frame = page_to_pfn(page) << (PAGE_SHIFT - VIRTIO_BALLOON_PFN_SHIFT);
	unsigned int i;

	BUILD_BUG_ON(BB_PFNS_MAX % BB_FRAMES_PER_PAGE);
	for (i = 0; i < BB_FRAMES_PER_PAGE; i++)
		vb->pfns[vb->num_pfns++] = cpu_to_virtio32(vb->vdev, frame + i);
	if (vb->num_pfns == BB_PFNS_MAX)
		bb_send_pfns(vb, vq);
}

/* ---- SG entries --------------------------------------------------------------------------- */

static unsigned int *bb_in_flight(struct ballast_balloon *vb, struct virtqueue *vq)
{
	return &vb->in_flight[vq == vb->deflate_vq];
}

/* Detaches every buffer the device has returned; returns how many. */
static unsigned int bb_reap(struct ballast_balloon *vb, struct virtqueue *vq)
{
	unsigned int len, n = 0;

	while (virtqueue_get_buf(vq, &len))
		n++;
	*bb_in_flight(vb, vq) -= n;
	return n;
}

/* A broken queue returns nothing: stop waiting for it. */
static bool bb_dead(struct ballast_balloon *vb, struct virtqueue *vq)
{
	if (!virtqueue_is_broken(vq))
		return false;
	*bb_in_flight(vb, vq) = 0;
	return true;
}

static void bb_kick(struct ballast_balloon *vb, struct virtqueue *vq)
{
	virtqueue_kick(vq);
	vb->tally.kicks++;
}

/* Adds one entry for @n pages from @pfn; if the ring is full, kicks and waits for room first. */
static void bb_add_sg(struct ballast_balloon *vb, struct virtqueue *vq, unsigned long pfn,
		      unsigned long n)
{
	struct scatterlist sg;
	int err;

	if (!vq->num_free && !bb_reap(vb, vq)) {
		bb_kick(vb, vq);
		wait_event(vb->acked, bb_reap(vb, vq) || bb_dead(vb, vq));
	}
	sg_init_table(&sg, 1);
	sg_set_page(&sg, pfn_to_page(pfn), (unsigned int)(n << PAGE_SHIFT), 0);
	/* Out-buffers: the device reads the range, it never writes to the descriptor's memory. */
	err = virtqueue_add_outbuf(vq, &sg, 1, vb, GFP_KERNEL);
	if (unlikely(err)) {
		dev_err_ratelimited(&vb->vdev->dev, "%s: cannot add an SG entry (%d)\n", vq->name, err);
		return;
	}
	(*bb_in_flight(vb, vq))++;
	vb->tally.entries++;
}

/* One run of @n pages from @pfn, split into entries of at most 4 GiB - 4 KiB. */
static void bb_add_run(struct ballast_balloon *vb, struct virtqueue *vq, unsigned long pfn,
		       unsigned long n)
{
	while (n) {
		unsigned long part = min(n, BB_SG_MAX_PAGES);

		bb_add_sg(vb, vq, pfn, part);
		pfn += part;
		n -= part;
	}
}

/*
 * The end of a batch: kick, and wait until the device has returned every buffer on @vq.
 * PFN mode has nothing in flight (each array is waited for).
 */
void bb_tell_wait(struct ballast_balloon *vb, struct virtqueue *vq)
{
	unsigned int *in_flight = bb_in_flight(vb, vq);

	bb_reap(vb, vq);
	if (!*in_flight)
		return;
	bb_kick(vb, vq);
	wait_event(vb->acked, (bb_reap(vb, vq), !*in_flight) || bb_dead(vb, vq));
}

static bool bb_reserve_bitmap(struct ballast_balloon *vb, unsigned long nbits)
{
	if (vb->bits && vb->nbits >= nbits)
		return true;
	kvfree(vb->bits);
	vb->nbits = 0;
	vb->bits = kvcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long), GFP_KERNEL | __GFP_NOWARN);
	if (!vb->bits)
		return false;
	vb->nbits = BITS_TO_LONGS(nbits) * BITS_PER_LONG;
	return true;
}

void bb_free_bitmap(struct ballast_balloon *vb)
{
	kvfree(vb->bits);
	vb->bits = NULL;
	vb->nbits = 0;
}

/*
 * Runs from the bitmap, window by window: set a bit per page of the window, then walk the runs of
 * set bits in address order, clearing each as it is sent (the bitmap is all zeros again after).
 */
static void bb_runs_from_bitmap(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b)
{
	unsigned long base, nbits, start, end, bit;
	struct page *page;

	for (base = b->pfn_min; base <= b->pfn_max; base += nbits) {
		nbits = min(b->pfn_max - base + 1, BB_WINDOW_BITS);
		list_for_each_entry(page, &b->pages, lru) {
			bit = page_to_pfn(page) - base;
			if (bit < nbits)
				__set_bit(bit, vb->bits);
		}
		for (start = find_first_bit(vb->bits, nbits); start < nbits;
		     start = find_next_bit(vb->bits, nbits, end)) {
			end = find_next_zero_bit(vb->bits, nbits, start + 1);
			bitmap_clear(vb->bits, start, end - start);
			bb_add_run(vb, vq, base + start, end - start);
		}
		cond_resched();
		if (b->pfn_max - base < nbits)
			break;	/* last window (and no overflow of base) */
	}
}

/* Runs in list order, merging neighbours: allocates nothing (the OOM path and the fallback). */
static void bb_runs_from_list(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b)
{
	unsigned long first = 0, n = 0, pfn;
	struct page *page;

	list_for_each_entry(page, &b->pages, lru) {
		pfn = page_to_pfn(page);
		if (n && n < BB_SG_MAX_PAGES) {
			if (pfn == first + n) {
				n++;
				continue;
			}
			if (pfn + 1 == first) {
				first = pfn;
				n++;
				continue;
			}
		}
		if (n)
			bb_add_run(vb, vq, first, n);
		first = pfn;
		n = 1;
	}
	if (n)
		bb_add_run(vb, vq, first, n);
}

/*
 * Tells the host about every page of @b on @vq. PFN mode: array by array, each waited for. SG: the
 * runs' entries are added and kicked; the caller waits for them with bb_tell_wait(). @may_alloc:
 * the bitmap may be (re)allocated; false in the OOM path.
 */
void bb_tell_batch(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b,
		   bool may_alloc)
{
	struct page *page;

	if (!b->count)
		return;
	if (!vb->sg) {
		list_for_each_entry(page, &b->pages, lru)
			bb_add_pfns(vb, vq, page);
		if (vb->num_pfns)
			bb_send_pfns(vb, vq);
		return;
	}
	vb->tally.bitmap = may_alloc &&
		bb_reserve_bitmap(vb, min(b->pfn_max - b->pfn_min + 1, BB_WINDOW_BITS));
	if (vb->tally.bitmap)
		bb_runs_from_bitmap(vb, vq, b);
	else
		bb_runs_from_list(vb, vq, b);
	bb_kick(vb, vq);
}

/* One page on its own (migration): one PFN array or one single-page SG entry, and wait. */
void bb_tell_page(struct ballast_balloon *vb, struct virtqueue *vq, struct page *page)
{
	if (vb->sg) {
		bb_add_sg(vb, vq, page_to_pfn(page), 1);
		bb_tell_wait(vb, vq);
		return;
	}
	bb_add_pfns(vb, vq, page);
	if (vb->num_pfns)
		bb_send_pfns(vb, vq);
}
