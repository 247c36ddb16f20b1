/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ballast's virtio memory balloon driver for Linux 6.1 guests: a drop-in for the stock
 * virtio_balloon (PFN arrays, statistics, deflate-on-OOM, free page reporting, page poison,
 * balloon compaction, freeze/restore) plus Ballast's non-standard scatter-gather feature (the v20
 * VIRTIO_BALLOON_F_SG proposal, on a configurable device-specific feature bit, 23 by default).
 *
 * With SG negotiated, each descriptor on the inflate or deflate queue is one range of guest memory:
 *
 *   addr = guest-physical address of the first page   (page aligned)
 *   len  = bytes, a multiple of the page size, 0 < len <= 4 GiB - 4 KiB (the largest such le32)
 *
 * one single-entry, device-writable buffer per run of contiguous pages (as the seed added them:
 * the host may discard what the pages hold). The driver kicks after each step of a batch and waits
 * only when the ring is full; every batch ends with a kick and a wait for all of its buffers
 * before the pages join the balloon and `actual` moves.
 * Without SG the queues carry arrays of le32 4 KiB frame numbers, 256 at a time (VIRTIO 1.2 5.5.6).
 *
 * Files: core.c (driver, work, config, OOM notifier, migration, freeze/restore), pages.c
 * (allocating, enqueueing and releasing batches of balloon pages and blocks), tell.c (telling the
 * host: PFN arrays or SG runs), stats.c (the statistics queue), report.c (free page reporting).
 */
#ifndef BALLAST_BALLOON_H
#define BALLAST_BALLOON_H

#include <linux/balloon_compaction.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/page_reporting.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/virtio_balloon.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* The device counts 4 KiB frames whatever the guest's page size; one page is this many frames. */
#define BB_FRAMES_PER_PAGE ((unsigned int)(PAGE_SIZE >> VIRTIO_BALLOON_PFN_SHIFT))

/* One PFN-array buffer: 256 frames (1 MiB of 4 KiB pages), as the stock driver sends. */
#define BB_PFNS_MAX 256

/* Largest SG entry: the largest multiple of the page size that fits a le32 (4 GiB - 4 KiB). */
#define BB_SG_MAX_BYTES ((u32)(U32_MAX & PAGE_MASK))
#define BB_SG_MAX_PAGES ((unsigned long)(BB_SG_MAX_BYTES >> PAGE_SHIFT))

/*
 * The run bitmap, allocated at probe, covers at most this many pages at a time (1 MiB of bitmap =
 * 32 GiB of 4 KiB pages); a batch spread over a larger span is walked one window after another.
 */
#define BB_WINDOW_BITS BIT(23)

/* Order-0 pages asked of the bulk allocator per call (pages.c). */
#define BB_BULK 256

/* Pages handed to the balloon list or the page allocator per call (bounds irq-off time). */
#define BB_CHUNK 512

/*
 * SG inflate pipeline step (module parameter step_allocs): a fill makes this many allocations,
 * sends their runs and kicks without waiting, then allocates the next step while the host
 * releases the last one. Counted in allocator calls, not pages: with order-0 pages a step is
 * 32 MiB, with order-9 blocks a 256 MiB batch is one step (its allocation is too quick to be
 * worth overlapping, and on a small host the concurrency only slows the host's release).
 */
#define BB_STEP_ALLOCS 8192

/*
 * The OOM notifier waits at most this long for the balloon lock, and for each acknowledgment of
 * the host, before it gives up (reporting nothing freed): a fill holding the lock while a slow or
 * dead device releases must not stall the kernel's OOM handling.
 */
#define BB_OOM_WAIT_MS 1000

/*
 * Queue indices as the driver asks for them. Only the queues of negotiated features exist, and
 * the transport numbers the existing ones consecutively (VIRTIO 1.2 5.5.2): with stats and
 * reporting the reporting queue is 3, with reporting alone it is 2. Free page hinting serves the
 * VMM's own migration and is never negotiated: its slot keeps the numbering explicit.
 */
enum bb_vq {
	BB_VQ_INFLATE,
	BB_VQ_DEFLATE,
	BB_VQ_STATS,
	BB_VQ_FREE_PAGE,
	BB_VQ_REPORTING,
	BB_VQ_MAX
};

/*
 * The pages of one fill or leak: order-0 pages and whole high-order blocks, on private lists
 * (linked through page->lru; a block's head page carries its order in page_private), with the
 * span [pfn_min, pfn_max] they cover. They are neither in the balloon nor free while here.
 */
struct bb_batch {
	struct list_head pages;
	struct list_head blocks;
	unsigned long count;	/* pages on both lists */
	unsigned long pfn_min;
	unsigned long pfn_max;
	unsigned int hi_allocs;	/* high-order allocations (inflate only, for the debug line) */
};

/* What one batch cost, for the debug line. */
struct bb_tally {
	unsigned int entries;	/* buffers (PFN arrays or SG ranges) added */
	unsigned int kicks;
	bool bitmap;		/* runs came from the bitmap (else from list order) */
};

struct ballast_balloon {
	struct virtio_device *vdev;
	struct virtqueue *inflate_vq;
	struct virtqueue *deflate_vq;
	struct virtqueue *stats_vq;
	struct virtqueue *reporting_vq;
	bool sg;		/* Ballast's SG feature negotiated */
	bool deflate_on_oom;	/* VIRTIO_BALLOON_F_DEFLATE_ON_OOM negotiated */

	struct work_struct size_work;
	struct work_struct stats_work;
	/* stop_update (under stop_lock) keeps config and stats interrupts from queueing work */
	spinlock_t stop_lock;
	bool stop_update;

	/* Woken by the inflate and deflate queues' interrupts. */
	wait_queue_head_t acked;

	/*
	 * Serialises fill, leak, OOM deflate and migration: it guards num_pages, the kept blocks,
	 * the PFN array, the run bitmap, the tally and the inflate/deflate queues.
	 */
	struct mutex lock;
	/* Frames (4 KiB) in the balloon, i.e. told to the host and not taken back. */
	unsigned int num_pages;
	/* The balloon's order-0 pages, movable by compaction. */
	struct balloon_dev_info b_dev_info;
	/*
	 * The balloon's whole blocks of pageblock order or more (keep_blocks): head pages linked
	 * through lru, order in page_private, every page PageOffline once settled. Compaction
	 * cannot move them, but each fills whole pageblocks, so it fragments nothing.
	 */
	struct list_head blocks;
	/* Kept blocks whose pages are not marked offline yet (bb_blocks_settle()). */
	unsigned long blocks_unsettled;

	/* PFN mode: the array the host reads (it lives in this kmalloc'ed struct). */
	unsigned int num_pfns;
	__virtio32 pfns[BB_PFNS_MAX];
	/* The queue holding the PFN array until the host returns it (an OOM deflate gave up). */
	struct virtqueue *pfns_vq;

	/* SG mode: the run bitmap, allocated at probe (NULL: runs in list order). */
	unsigned long *bits;
	unsigned long nbits;
	/* Buffers added and not yet returned by the device, per queue index (inflate, deflate). */
	unsigned int in_flight[BB_VQ_STATS];
	/* What the current holder of the lock sent (reset by each fill step, leak or migration). */
	struct bb_tally tally;

	struct virtio_balloon_stat stats[VIRTIO_BALLOON_S_NR];

	struct notifier_block oom_nb;

	/* Free page reporting: registered with mm/page_reporting.c while the device is live. */
	struct page_reporting_dev_info pr_info;
	bool reporting;
	wait_queue_head_t reported;
};

/* pages.c */
void bb_batch_init(struct bb_batch *b);
int bb_batch_alloc(struct bb_batch *b, unsigned long want, unsigned int *order,
		   unsigned long max_allocs, bool keep_blocks);
void bb_batch_splice(struct bb_batch *to, struct bb_batch *from);
void bb_batch_enqueue(struct ballast_balloon *vb, struct bb_batch *b);
void bb_batch_requeue(struct ballast_balloon *vb, struct bb_batch *b);
unsigned long bb_batch_dequeue(struct ballast_balloon *vb, struct bb_batch *b, unsigned long want);
void bb_batch_release(struct ballast_balloon *vb, struct bb_batch *b);
void bb_batch_free(struct bb_batch *b);
unsigned int bb_block_order(struct page *head);
unsigned int bb_keep_order(void);
unsigned long bb_blocks_settle(struct ballast_balloon *vb);

/* tell.c */
int bb_tell_batch(struct ballast_balloon *vb, struct virtqueue *vq, struct bb_batch *b, bool oom);
int bb_tell_wait(struct ballast_balloon *vb, struct virtqueue *vq, bool oom);
int bb_tell_page(struct ballast_balloon *vb, struct virtqueue *vq, struct page *page);
void bb_alloc_bitmap(struct ballast_balloon *vb);
void bb_free_bitmap(struct ballast_balloon *vb);

/* stats.c */
int bb_stats_prime(struct ballast_balloon *vb);
void bb_stats_request(struct virtqueue *vq);
void bb_stats_work(struct work_struct *work);

/* report.c */
int bb_report_start(struct ballast_balloon *vb, unsigned int order);
void bb_report_stop(struct ballast_balloon *vb);
void bb_report_ack(struct virtqueue *vq);

#endif /* BALLAST_BALLOON_H */
