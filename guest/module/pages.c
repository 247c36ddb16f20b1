// SPDX-License-Identifier: GPL-2.0
/*
 * Batches of balloon pages: allocating them (in high-order blocks when asked), handing them to the
 * balloon-compaction core, taking them back from it, and giving them to the page allocator.
 *
 * Every balloon page is an order-0 page on the b_dev_info list, so compaction can isolate and
 * migrate each one on its own (core.c's migratepage). High-order blocks are only a faster way to
 * allocate: split_page() turns a block into 2^order independent order-0 pages right away.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "ballast_balloon.h"

/*
 * A high-order block is taken only if the buddy allocator has one free: no direct reclaim, no
 * compaction and no kswapd wake-up for it (GFP_HIGHUSER_MOVABLE minus __GFP_RECLAIM). Making room
 * is left to the order-0 fallback, balloon_page_alloc(), which reclaims with __GFP_NORETRY like the
 * stock driver. Movable, like every balloon page, so the blocks come from movable pageblocks.
 */
#define BB_GFP_BLOCK ((GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) | \
		      __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN)

/*
 * Single pages: balloon_page_alloc()'s flags (movable, no emergency reserves, no retrying reclaim),
 * taken BB_BULK at a time from the per-CPU free lists by the bulk allocator, which checks the
 * watermark, takes the pcp lock and counts the events once per call instead of once per page.
 * Under TCG that cuts the cost of an order-0 page to about a third (measured: guest/README.md).
 * The bulk allocator never reclaims; when it returns nothing (the zone is near its low watermark),
 * balloon_page_alloc() takes one page the ordinary way, reclaiming as the stock driver does.
 */
#define BB_GFP_PAGE (balloon_mapping_gfp_mask() | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN)

void bb_batch_init(struct bb_batch *b)
{
	INIT_LIST_HEAD(&b->pages);
	b->count = 0;
	b->pfn_min = ULONG_MAX;
	b->pfn_max = 0;
	b->blocks = 0;
}

static void bb_batch_note(struct bb_batch *b, unsigned long pfn, unsigned long n)
{
	b->count += n;
	b->pfn_min = min(b->pfn_min, pfn);
	b->pfn_max = max(b->pfn_max, pfn + n - 1);
}

/*
 * Allocates pages onto @b until it holds @want, or @max_allocs allocations succeeded (0), or one
 * failed (-ENOMEM). *@order > 0: blocks of 2^*@order pages (a smaller one for the last few pages
 * wanted); a failure lowers *@order by one for good (the caller keeps it for its next call), down
 * to single pages, and only a failed single page counts as running out.
 */
int bb_batch_alloc(struct bb_batch *b, unsigned long want, unsigned int *order,
		   unsigned long max_allocs)
{
	unsigned long i, allocs = 0;
	struct page *page;

	while (b->count < want && allocs < max_allocs) {
		unsigned long left = want - b->count;
		unsigned int o = *order;

		if (o && (1UL << o) > left)
			o = ilog2(left);
		if (o) {
			page = alloc_pages(BB_GFP_BLOCK, o);
			if (!page) {
				*order = o - 1;
				continue;
			}
			split_page(page, o);
			for (i = 0; i < (1UL << o); i++)
				list_add_tail(&nth_page(page, i)->lru, &b->pages);
			bb_batch_note(b, page_to_pfn(page), 1UL << o);
			b->blocks++;
		} else {
			unsigned long n = min3(left, max_allocs - allocs, (unsigned long)BB_BULK);
			LIST_HEAD(bulk);

			n = alloc_pages_bulk_list(BB_GFP_PAGE, n, &bulk);
			if (!n) {
				page = balloon_page_alloc();
				if (!page)
					return -ENOMEM;
				list_add_tail(&page->lru, &bulk);
				n = 1;
			}
			list_for_each_entry(page, &bulk, lru)
				bb_batch_note(b, page_to_pfn(page), 1);
			list_splice_tail(&bulk, &b->pages);
			allocs += n;
			cond_resched();
			continue;
		}
		allocs++;
		cond_resched();
	}
	return 0;
}

/* Moves every page of @from to the end of @to. */
void bb_batch_splice(struct bb_batch *to, struct bb_batch *from)
{
	if (!from->count)
		return;
	list_splice_tail_init(&from->pages, &to->pages);
	to->count += from->count;
	to->pfn_min = min(to->pfn_min, from->pfn_min);
	to->pfn_max = max(to->pfn_max, from->pfn_max);
	to->blocks += from->blocks;
	bb_batch_init(from);
}

/*
 * Hands every page of @b to the balloon-compaction core (they become movable balloon pages), in
 * chunks so that b_dev_info->pages_lock is never held with interrupts off for long. Empties @b.
 */
void bb_batch_enqueue(struct ballast_balloon *vb, struct bb_batch *b)
{
	struct page *page, *next;
	LIST_HEAD(chunk);
	unsigned int n = 0;

	list_for_each_entry_safe(page, next, &b->pages, lru) {
		/* Without deflate-on-OOM the balloon's memory leaves the guest's total, as in the stock driver. */
		if (!vb->deflate_on_oom)
			adjust_managed_page_count(page, -1);
		list_move_tail(&page->lru, &chunk);
		if (++n == BB_CHUNK) {
			balloon_page_list_enqueue(&vb->b_dev_info, &chunk);
			n = 0;
			cond_resched();
		}
	}
	if (n)
		balloon_page_list_enqueue(&vb->b_dev_info, &chunk);
	b->count = 0;
}

/*
 * Takes up to @want pages out of the balloon onto @b (no longer balloon pages, still not free).
 * Returns how many @b holds: fewer if pages are isolated for migration at the moment.
 * Allocates nothing, so the OOM notifier can use it.
 */
unsigned long bb_batch_dequeue(struct ballast_balloon *vb, struct bb_batch *b, unsigned long want)
{
	struct page *page;
	LIST_HEAD(chunk);
	size_t n;

	while (b->count < want) {
		n = balloon_page_list_dequeue(&vb->b_dev_info, &chunk,
					      min_t(unsigned long, want - b->count, BB_CHUNK));
		if (!n)
			break;
		list_for_each_entry(page, &chunk, lru)
			bb_batch_note(b, page_to_pfn(page), 1);
		list_splice_tail_init(&chunk, &b->pages);
		cond_resched();
	}
	return b->count;
}

/* Gives every page of @b back to the page allocator, a chunk at a time. Empties @b. */
void bb_batch_release(struct ballast_balloon *vb, struct bb_batch *b)
{
	struct page *page, *next;
	LIST_HEAD(chunk);
	unsigned int n = 0;

	list_for_each_entry_safe(page, next, &b->pages, lru) {
		if (!vb->deflate_on_oom)
			adjust_managed_page_count(page, 1);
		list_move_tail(&page->lru, &chunk);
		if (++n == BB_CHUNK) {
			put_pages_list(&chunk);
			n = 0;
			cond_resched();
		}
	}
	if (n)
		put_pages_list(&chunk);
	b->count = 0;
}
