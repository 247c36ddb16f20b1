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
 *  - __set_bit() is one instruction per page (bitmap_set() a few per block), find_next_bit() and
 *    find_next_zero_bit() skip 64 pages per word, and the runs come out sorted by address whatever
 *    order the allocator used;
 *  - the bitmap is allocated once, at probe, sized for the guest's memory and capped at 1 MiB; a
 *    batch over a wider span is walked in windows. Nothing is allocated while the balloon lock is
 *    held: an allocation there could enter the OOM killer, whose notifier wants the same lock.
 * Without a bitmap (its allocation failed), runs are taken in list order instead: each page
 * extends the current run if it is adjacent to it (above or below), else starts a new one, and
 * each block is a run of its own. In the worst case that sends one entry per page, as the seed's
 * leak_balloon_sg_oom() did.
 *
 * Errors. Adding a buffer fails only on a broken queue (indirect descriptors are off and the
 * driver waits for room first); waiting gives up on a broken queue and, in the OOM path, after
 * BB_OOM_WAIT_MS. Every function returns 0, -EIO (broken) or -ETIMEDOUT, and the callers decide
 * what the pages become (core.c): an inflate the host did not hear about is freed, a deflate the
 * host did not acknowledge goes back into the balloon.
 */
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "ballast_balloon.h"

/* ---- waiting for the device --------------------------------------------------------------- */

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

static bool bb_idle(struct ballast_balloon *vb, struct virtqueue *vq)
{
	bb_reap(vb, vq);
	return !*bb_in_flight(vb, vq) || bb_dead(vb, vq);
}

static bool bb_room(struct ballast_balloon *vb, struct virtqueue *vq)
{
	bb_reap(vb, vq);
	return vq->num_free || bb_dead(vb, vq);
}

/*
 * Sleeps until @done(vb, vq) holds, re-checked at each of the queues' interrupts; in the OOM path
 * (@oom) at most BB_OOM_WAIT_MS.
 */
static int bb_wait(struct ballast_balloon *vb, struct virtqueue *vq, bool oom,
		   bool (*done)(struct ballast_balloon *vb, struct virtqueue *vq))
{
	if (!oom)
		wait_event(vb->acked, done(vb, vq));
	else if (!wait_event_timeout(vb->acked, done(vb, vq), msecs_to_jiffies(BB_OOM_WAIT_MS)))
		return -ETIMEDOUT;
	return virtqueue_is_broken(vq) ? -EIO : 0;
}

static void bb_kick(struct ballast_balloon *vb, struct virtqueue *vq)
{
	virtqueue_kick(vq);
	vb->tally.kicks++;
}

/*
 * The end of a batch: kick, and wait until the device has returned every buffer on @vq.
 * PFN mode has nothing in flight (each array is waited for).
 */
int bb_tell_wait(struct ballast_balloon *vb, struct virtqueue *vq, bool oom)
{
	if (bb_idle(vb, vq))
		return virtqueue_is_broken(vq) ? -EIO : 0;
	bb_kick(vb, vq);
	return bb_wait(vb, vq, oom, bb_idle);
}

/* ---- PFN arrays (no SG) ------------------------------------------------------------------- */

/*
 * The array may be rewritten only once the device has returned it: after an OOM deflate that gave
 * up waiting it is still on a queue.
 */
static int bb_pfns_ready(struct ballast_balloon *vb, bool oom)
{
	int err;

	if (!vb->pfns_vq)
		return 0;
	err = bb_tell_wait(vb, vb->pfns_vq, oom);
	if (!err || err == -EIO)
		vb->pfns_vq = NULL;
	return err;
}

static int bb_send_pfns(struct ballast_balloon *vb, struct virtqueue *vq, bool oom)
{
	struct scatterlist sg;
	int err;

	sg_init_one(&sg, vb->pfns, sizeof(vb->pfns[0]) * vb->num_pfns);
	vb->num_pfns = 0;
	err = virtqueue_add_outbuf(vq, &sg, 1, vb, GFP_KERNEL);
	if (unlikely(err)) {
		dev_err_ratelimited(&vb->vdev->dev, "%s: cannot add a PFN buffer (%d)\n",
				    vq->name, err);
		return err;
	}
	(*bb_in_flight(vb, vq))++;
	vb->pfns_vq = vq;
	vb->tally.entries++;
	return bb_pfns_ready(vb, oom);
}

static int bb_add_pfns(struct ballast_balloon *vb, struct virtqueue *vq, struct page *page,
		       unsigned long n, bool oom)
{
	u32 frame = page_to_pfn(page) << (PAGE_SHIFT - VIRTIO_BALLOON_PFN_SHIFT);
	unsigned long i;
	int err;

	BUILD_BUG_ON(BB_PFNS_MAX % BB_FRAMES_PER_PAGE);
	for (i = 0; i < n * BB_FRAMES_PER_PAGE; i++) {
		if (!vb->num_pfns) {
			err = bb_pfns_ready(vb, oom);
			if (err)
				return err;
		}
		vb->pfns[vb->num_pfns++] = cpu_to_virtio32(vb->vdev, frame + i);
		if (vb->num_pfns == BB_PFNS_MAX) {
			err = bb_send_pfns(vb, vq, oom);
			if (err)
				return err;
		}
	}
	return 0;
}

static int bb_tell_pfns(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b,
			bool oom)
{
	struct page *page;
	int err = 0;

	list_for_each_entry(page, &b->pages, lru) {
		err = bb_add_pfns(vb, vq, page, 1, oom);
		if (err)
			goto out;
	}
	list_for_each_entry(page, &b->blocks, lru) {
		err = bb_add_pfns(vb, vq, page, 1UL << bb_block_order(page), oom);
		if (err)
			goto out;
	}
	if (vb->num_pfns)
		err = bb_send_pfns(vb, vq, oom);
out:
	vb->num_pfns = 0;
	return err;
}

/* ---- SG entries --------------------------------------------------------------------------- */

/* Adds one entry for @n pages from @pfn; if the ring is full, kicks and waits for room first. */
static int bb_add_sg(struct ballast_balloon *vb, struct virtqueue *vq, unsigned long pfn,
		     unsigned long n, bool oom)
{
	struct scatterlist sg;
	int err;

	if (!vq->num_free && !bb_reap(vb, vq)) {
		bb_kick(vb, vq);
		err = bb_wait(vb, vq, oom, bb_room);
		if (err)
			return err;
	}
	sg_init_table(&sg, 1);
	sg_set_page(&sg, pfn_to_page(pfn), (unsigned int)(n << PAGE_SHIFT), 0);
	/* Device-writable, as the seed and page reporting add them: the host may discard them. */
	err = virtqueue_add_inbuf(vq, &sg, 1, vb, GFP_KERNEL);
	if (unlikely(err)) {
		dev_err_ratelimited(&vb->vdev->dev, "%s: cannot add an SG entry (%d)\n",
				    vq->name, err);
		return err;
	}
	(*bb_in_flight(vb, vq))++;
	vb->tally.entries++;
	return 0;
}

/* One run of @n pages from @pfn, split into entries of at most 4 GiB - 4 KiB. */
static int bb_add_run(struct ballast_balloon *vb, struct virtqueue *vq, unsigned long pfn,
		      unsigned long n, bool oom)
{
	unsigned long part;
	int err;

	for (; n; pfn += part, n -= part) {
		part = min(n, BB_SG_MAX_PAGES);
		err = bb_add_sg(vb, vq, pfn, part, oom);
		if (err)
			return err;
	}
	return 0;
}

void bb_alloc_bitmap(struct ballast_balloon *vb)
{
	/* The guest's RAM and a quarter for holes: one window usually covers a batch. */
	unsigned long ram = totalram_pages();
	unsigned long nbits = clamp(ram + ram / 4, BIT(15), BB_WINDOW_BITS);

	vb->bits = kvcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long), GFP_KERNEL | __GFP_NOWARN);
	vb->nbits = vb->bits ? BITS_TO_LONGS(nbits) * BITS_PER_LONG : 0;
	if (!vb->bits)
		dev_warn(&vb->vdev->dev, "no run bitmap (%lu bits): SG runs in list order\n",
			 nbits);
}

void bb_free_bitmap(struct ballast_balloon *vb)
{
	kvfree(vb->bits);
	vb->bits = NULL;
	vb->nbits = 0;
}

/* Sets the bits of [@pfn, @pfn + @n) that fall in the window [@base, @base + @nbits). */
static void bb_mark(unsigned long *bits, unsigned long base, unsigned long nbits,
		    unsigned long pfn, unsigned long n)
{
	unsigned long from = max(pfn, base), to = min(pfn + n, base + nbits);

	if (from < to)
		bitmap_set(bits, from - base, to - from);
}

/*
 * Runs from the bitmap, window by window: set the bits of the window's pages and blocks, then walk
 * the runs of set bits in address order, clearing each as it is sent (all zeros again after).
 */
static int bb_runs_from_bitmap(struct ballast_balloon *vb, struct virtqueue *vq,
			       struct bb_batch *b, bool oom)
{
	unsigned long base, nbits, start, end, bit;
	struct page *page;
	int err = 0;

	for (base = b->pfn_min; base <= b->pfn_max; base += nbits) {
		nbits = min(b->pfn_max - base + 1, vb->nbits);
		list_for_each_entry(page, &b->pages, lru) {
			bit = page_to_pfn(page) - base;
			if (bit < nbits)
				__set_bit(bit, vb->bits);
		}
		list_for_each_entry(page, &b->blocks, lru)
			bb_mark(vb->bits, base, nbits, page_to_pfn(page),
				1UL << bb_block_order(page));
		for (start = find_first_bit(vb->bits, nbits); start < nbits;
		     start = find_next_bit(vb->bits, nbits, end)) {
			end = find_next_zero_bit(vb->bits, nbits, start + 1);
			if (!err)
				err = bb_add_run(vb, vq, base + start, end - start, oom);
			bitmap_clear(vb->bits, start, end - start);
		}
		cond_resched();
		if (err || b->pfn_max - base < nbits)
			break;	/* failed, or the last window (and no overflow of base) */
	}
	return err;
}

/* Runs in list order, merging neighbours; each block a run of its own. */
static int bb_runs_from_list(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b,
			     bool oom)
{
	unsigned long first = 0, n = 0, pfn;
	struct page *page;
	int err;

	list_for_each_entry(page, &b->blocks, lru) {
		err = bb_add_run(vb, vq, page_to_pfn(page), 1UL << bb_block_order(page), oom);
		if (err)
			return err;
	}
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
		if (n) {
			err = bb_add_run(vb, vq, first, n, oom);
			if (err)
				return err;
		}
		first = pfn;
		n = 1;
	}
	return n ? bb_add_run(vb, vq, first, n, oom) : 0;
}

/*
 * Tells the host about every page of @b on @vq. PFN mode: array by array, each waited for. SG: the
 * runs' entries are added and kicked; the caller waits for them with bb_tell_wait(). @oom: the OOM
 * path, whose waits are bounded. On an error some of the pages may have been told.
 */
int bb_tell_batch(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b, bool oom)
{
	int err;

	if (!b->count)
		return 0;
	if (!vb->sg)
		return bb_tell_pfns(vb, vq, b, oom);
	vb->tally.bitmap = !!vb->bits;
	if (vb->tally.bitmap)
		err = bb_runs_from_bitmap(vb, vq, b, oom);
	else
		err = bb_runs_from_list(vb, vq, b, oom);
	bb_kick(vb, vq);
	return err;
}

/* One page on its own (migration): one PFN array or one single-page SG entry, and wait. */
int bb_tell_page(struct ballast_balloon *vb, struct virtqueue *vq, struct page *page)
{
	int err;

	if (vb->sg) {
		err = bb_add_sg(vb, vq, page_to_pfn(page), 1, false);
		return err ?: bb_tell_wait(vb, vq, false);
	}
	err = bb_add_pfns(vb, vq, page, 1, false);
	if (!err && vb->num_pfns)
		err = bb_send_pfns(vb, vq, false);
	vb->num_pfns = 0;
	return err;
}
