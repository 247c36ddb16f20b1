// SPDX-License-Identifier: GPL-2.0
/*
 * Batches of balloon pages: allocating them (in high-order blocks when asked), handing them to the
 * balloon, taking them back from it, and giving them to the page allocator.
 *
 * The balloon holds two kinds of memory. Order-0 pages sit on the b_dev_info list, so compaction
 * can isolate and migrate each one on its own (core.c's migratepage). Blocks of pageblock order or
 * more (or 2 MiB where pageblocks are larger) stay whole on vb->blocks (keep_blocks): enqueueing
 * 512 order-0 pages per 2 MiB through the balloon-compaction core (a trylock, list insert and
 * unlock each) was the largest guest-side cost of an inflate on huge-page host memory, and a block
 * that fills whole pageblocks gives compaction nothing to gain. Smaller blocks are split into
 * order-0 pages right away. A deflate takes whole blocks while they fit, then order-0 pages, and
 * splits a block only for the remainder.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/pageblock-flags.h>
#include <linux/sched.h>
#include <linux/vmstat.h>

#include "ballast_balloon.h"

/*
 * A high-order block is taken only if the buddy allocator has one free: no direct reclaim, no
 * compaction and no kswapd wake-up for it (the balloon's own mask minus __GFP_RECLAIM). Making room
 * is left to the order-0 fallback, balloon_page_alloc(), which reclaims with __GFP_NORETRY like the
 * stock driver. The mask is movable when balloon compaction is built in, like every balloon page
 * that compaction can migrate; a block kept whole (@keep) cannot be migrated, so it is not
 * movable and never comes from ZONE_MOVABLE or a movable pageblock (a pageblock-sized one takes a
 * whole pageblock).
 */
static gfp_t bb_gfp_block(bool keep)
{
	gfp_t mask = balloon_mapping_gfp_mask();

	if (keep)
		mask &= ~__GFP_MOVABLE;
	return (mask & ~__GFP_RECLAIM) | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
}

/*
 * Single pages: balloon_page_alloc()'s flags (no emergency reserves, no retrying reclaim), taken
 * BB_BULK at a time from the per-CPU free lists by the bulk allocator, which checks the watermark,
 * takes the pcp lock and counts the events once per call instead of once per page. Under TCG that
 * cuts the cost of an order-0 page to about a third (measured: guest/README.md). The bulk
 * allocator never reclaims; when it returns nothing (the zone is near its low watermark),
 * balloon_page_alloc() takes one page the ordinary way, reclaiming as the stock driver does.
 */
static gfp_t bb_gfp_page(void)
{
	return balloon_mapping_gfp_mask() | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
}

/*
 * A kept block's head page carries, in page_private, its order and whether its pages are marked
 * offline yet: marking 512 struct pages per 2 MiB is bookkeeping for dump tools (kdump and
 * /proc/kcore skip offline pages), so a fill leaves it until the balloon is on target and the host
 * has its memory (bb_blocks_settle()).
 */
#define BB_BLOCK_ORDER_MASK 0xffUL
#define BB_BLOCK_OFFLINE BIT(8)

unsigned int bb_block_order(struct page *head)
{
	return (unsigned int)(page_private(head) & BB_BLOCK_ORDER_MASK);
}

static bool bb_block_is_offline(struct page *head)
{
	return page_private(head) & BB_BLOCK_OFFLINE;
}

static unsigned long bb_block_pages(struct page *head)
{
	return 1UL << bb_block_order(head);
}

void bb_batch_init(struct bb_batch *b)
{
	INIT_LIST_HEAD(&b->pages);
	INIT_LIST_HEAD(&b->blocks);
	b->count = 0;
	b->pfn_min = ULONG_MAX;
	b->pfn_max = 0;
	b->hi_allocs = 0;
}

static void bb_batch_note(struct bb_batch *b, unsigned long pfn, unsigned long n)
{
	b->count += n;
	b->pfn_min = min(b->pfn_min, pfn);
	b->pfn_max = max(b->pfn_max, pfn + n - 1);
}

/*
 * The smallest block kept whole: a pageblock, or a PMD-sized huge page (2 MiB on x86) if that is
 * smaller. Kernels without hugetlbfs make pageblocks MAX_ORDER - 1 (4 MiB); a 2 MiB block there
 * still covers a whole huge page of the host's and costs the same 512 enqueues if split.
 */
unsigned int bb_keep_order(void)
{
	return min_t(unsigned int, pageblock_order, PMD_SHIFT - PAGE_SHIFT);
}

/* One high-order block of 2^@o pages onto @b: kept whole, or split into order-0 pages. */
static void bb_batch_add_block(struct bb_batch *b, struct page *page, unsigned int o, bool keep)
{
	unsigned long i;

	if (keep) {
		set_page_private(page, o);
		list_add_tail(&page->lru, &b->blocks);
	} else {
		split_page(page, o);
		for (i = 0; i < (1UL << o); i++)
			list_add_tail(&nth_page(page, i)->lru, &b->pages);
	}
	bb_batch_note(b, page_to_pfn(page), 1UL << o);
	b->hi_allocs++;
}

/* Up to @n order-0 pages onto @b from the bulk allocator, or one reclaiming; 0 when none. */
static unsigned long bb_batch_add_pages(struct bb_batch *b, unsigned long n)
{
	struct page *page;
	LIST_HEAD(bulk);

	n = alloc_pages_bulk_list(bb_gfp_page(), n, &bulk);
	if (!n) {
		page = balloon_page_alloc();
		if (!page)
			return 0;
		list_add_tail(&page->lru, &bulk);
		n = 1;
	}
	list_for_each_entry(page, &bulk, lru)
		bb_batch_note(b, page_to_pfn(page), 1);
	list_splice_tail(&bulk, &b->pages);
	return n;
}

/*
 * Allocates pages onto @b until it holds @want, or @max_allocs allocations succeeded (0), or one
 * failed (-ENOMEM). *@order > 0: blocks of 2^*@order pages (a smaller one for the last few pages
 * wanted); a failure lowers *@order by one for good (the caller keeps it for its next call), down
 * to single pages, and only a failed single page counts as running out. @keep_blocks: blocks of
 * bb_keep_order() or more stay whole.
 */
int bb_batch_alloc(struct bb_batch *b, unsigned long want, unsigned int *order,
		   unsigned long max_allocs, bool keep_blocks)
{
	unsigned long n, allocs = 0;
	struct page *page;

	while (b->count < want && allocs < max_allocs) {
		unsigned long left = want - b->count;
		unsigned int o = *order;

		if (o && (1UL << o) > left)
			o = ilog2(left);
		if (o) {
			bool keep = keep_blocks && o >= bb_keep_order();

			page = alloc_pages(bb_gfp_block(keep), o);
			if (!page) {
				*order = o - 1;
				continue;
			}
			bb_batch_add_block(b, page, o, keep);
			allocs++;
		} else {
			n = bb_batch_add_pages(b, min3(left, max_allocs - allocs,
						       (unsigned long)BB_BULK));
			if (!n)
				return -ENOMEM;
			allocs += n;
		}
		cond_resched();
	}
	return 0;
}

/* Moves every page and block of @from to the end of @to. */
void bb_batch_splice(struct bb_batch *to, struct bb_batch *from)
{
	if (!from->count)
		return;
	list_splice_tail_init(&from->pages, &to->pages);
	list_splice_tail_init(&from->blocks, &to->blocks);
	to->count += from->count;
	to->pfn_min = min(to->pfn_min, from->pfn_min);
	to->pfn_max = max(to->pfn_max, from->pfn_max);
	to->hi_allocs += from->hi_allocs;
	bb_batch_init(from);
}

/* Marks (or unmarks) every page of a block offline, as balloon_page_insert() does for one page. */
static void bb_block_offline(struct page *head, bool offline)
{
	unsigned long i, n = bb_block_pages(head);

	if (offline == bb_block_is_offline(head))
		return;
	for (i = 0; i < n; i++) {
		if (offline)
			__SetPageOffline(nth_page(head, i));
		else
			__ClearPageOffline(nth_page(head, i));
	}
	set_page_private(head, bb_block_order(head) | (offline ? BB_BLOCK_OFFLINE : 0));
}

/*
 * Marks the pages of every kept block that is not marked yet offline (balloon lock held). The
 * size work calls it once the balloon is on target: until then the fill's time goes to giving the
 * host its memory. Returns the blocks marked.
 */
unsigned long bb_blocks_settle(struct ballast_balloon *vb)
{
	unsigned long n = 0;
	struct page *page;

	if (!vb->blocks_unsettled)
		return 0;
	list_for_each_entry(page, &vb->blocks, lru) {
		if (bb_block_is_offline(page))
			continue;
		bb_block_offline(page, true);
		n++;
		cond_resched();
	}
	vb->blocks_unsettled = 0;
	return n;
}

/*
 * Puts order-0 pages on the balloon list without counting BALLOON_INFLATE (they are back, or
 * moved from a block, not newly inflated): balloon_page_list_enqueue() without its event, a chunk
 * per hold of the irq-off pages_lock.
 */
static void bb_balloon_insert(struct ballast_balloon *vb, struct list_head *pages)
{
	struct page *page, *next;
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&vb->b_dev_info.pages_lock, flags);
	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		/* Ours alone (one reference): the page lock cannot be contended. */
		if (WARN_ON_ONCE(!trylock_page(page)))
			continue;
		balloon_page_insert(&vb->b_dev_info, page);
		unlock_page(page);
		if (++n % BB_CHUNK == 0) {
			spin_unlock_irqrestore(&vb->b_dev_info.pages_lock, flags);
			cond_resched();
			spin_lock_irqsave(&vb->b_dev_info.pages_lock, flags);
		}
	}
	spin_unlock_irqrestore(&vb->b_dev_info.pages_lock, flags);
}

/*
 * Hands every page of @b to the balloon: order-0 pages to the balloon-compaction core (they become
 * movable balloon pages), in chunks so that b_dev_info->pages_lock is never held with interrupts
 * off for long; blocks to vb->blocks. Empties @b.
 */
void bb_batch_enqueue(struct ballast_balloon *vb, struct bb_batch *b)
{
	struct page *page, *next;
	LIST_HEAD(chunk);
	unsigned int n = 0;

	list_for_each_entry_safe(page, next, &b->pages, lru) {
		/* Without deflate-on-OOM the balloon leaves the guest's total (as Linux's). */
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

	list_for_each_entry(page, &b->blocks, lru) {
		if (!vb->deflate_on_oom)
			adjust_managed_page_count(page, -(long)bb_block_pages(page));
		count_vm_events(BALLOON_INFLATE, bb_block_pages(page));
		vb->blocks_unsettled++;
	}
	list_splice_tail_init(&b->blocks, &vb->blocks);
	bb_batch_init(b);
}

/*
 * A deflate that could not tell the host (a dead queue, or an OOM deflate that gave up waiting):
 * its pages and blocks go back into the balloon as they were. Empties @b.
 */
void bb_batch_requeue(struct ballast_balloon *vb, struct bb_batch *b)
{
	struct page *page;

	bb_balloon_insert(vb, &b->pages);
	list_for_each_entry(page, &b->blocks, lru)
		if (!bb_block_is_offline(page))
			vb->blocks_unsettled++;
	list_splice_init(&b->blocks, &vb->blocks);
	bb_batch_init(b);
}

/*
 * Splits the block @head so that its first @n pages go onto @b as order-0 pages (no longer
 * offline, ready to be freed) and the rest join the balloon list as order-0 balloon pages.
 */
static void bb_split_block(struct ballast_balloon *vb, struct bb_batch *b, struct page *head,
			   unsigned long n)
{
	unsigned long i, total = bb_block_pages(head);
	LIST_HEAD(rest);

	list_del(&head->lru);
	if (!bb_block_is_offline(head))
		vb->blocks_unsettled--;
	/* Plain pages again; balloon_page_insert() marks those staying in the balloon. */
	bb_block_offline(head, false);
	set_page_private(head, 0);
	split_page(head, ilog2(total));
	for (i = 0; i < total; i++)
		list_add_tail(&nth_page(head, i)->lru, i < n ? &b->pages : &rest);
	bb_batch_note(b, page_to_pfn(head), n);
	count_vm_events(BALLOON_DEFLATE, n);
	bb_balloon_insert(vb, &rest);
}

/*
 * Takes up to @want pages out of the balloon onto @b (no longer balloon pages, still not free):
 * whole blocks while they fit, then order-0 pages, then part of a block if still short. Returns
 * how many @b holds: fewer if pages are isolated for migration at the moment. Allocates nothing,
 * so the OOM notifier can use it.
 */
unsigned long bb_batch_dequeue(struct ballast_balloon *vb, struct bb_batch *b, unsigned long want)
{
	struct page *page, *next;
	LIST_HEAD(chunk);
	size_t n;

	list_for_each_entry_safe(page, next, &vb->blocks, lru) {
		if (bb_block_pages(page) > want - b->count)
			continue;
		list_move_tail(&page->lru, &b->blocks);
		if (!bb_block_is_offline(page))
			vb->blocks_unsettled--;
		bb_batch_note(b, page_to_pfn(page), bb_block_pages(page));
		count_vm_events(BALLOON_DEFLATE, bb_block_pages(page));
		if (b->count == want)
			return b->count;
	}
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
	if (b->count < want && !list_empty(&vb->blocks))
		bb_split_block(vb, b, list_first_entry(&vb->blocks, struct page, lru),
			       want - b->count);
	return b->count;
}

/* Takes the block @head off its list and gives it to the page allocator, offline marks cleared. */
static void bb_block_free(struct page *head)
{
	unsigned int order = bb_block_order(head);

	list_del(&head->lru);
	bb_block_offline(head, false);
	set_page_private(head, 0);
	__free_pages(head, order);
}

/* Frees every page and block of @b (none of them in the balloon). Empties @b. */
void bb_batch_free(struct bb_batch *b)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &b->blocks, lru)
		bb_block_free(page);
	put_pages_list(&b->pages);
	bb_batch_init(b);
}

/* Gives every page of a deflated batch @b back to the page allocator in chunks. Empties @b. */
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

	list_for_each_entry_safe(page, next, &b->blocks, lru) {
		if (!vb->deflate_on_oom)
			adjust_managed_page_count(page, (long)bb_block_pages(page));
		bb_block_free(page);
		cond_resched();
	}
	bb_batch_init(b);
}
