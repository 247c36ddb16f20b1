// SPDX-License-Identifier: GPL-2.0
/*
 * ballast_balloon: the driver. It binds virtio device id 5 and follows the host's target the way
 * the stock virtio_balloon does: a config-change interrupt queues the size work, which reads
 * num_pages, fills or leaks one batch towards it, writes `actual` once for that batch, and queues
 * itself again until the balloon is on target.
 *
 * A batch is one fill or leak call: in PFN mode 256 frames (one array, as the stock driver), with
 * SG up to batch_pages pages, told to the host as runs (tell.c) and acknowledged before `actual`
 * moves. An SG fill is a pipeline of steps (see bb_fill()): the host releases one step while the
 * next is allocated. Deflating always tells the host before the pages go back to the allocator,
 * whether or not VIRTIO_BALLOON_F_MUST_TELL_HOST was negotiated. With DEFLATE_ON_OOM an OOM
 * notifier gives back oom_pages frames per call without allocating anything, and gives up rather
 * than wait long. Order-0 balloon pages stay movable: the compaction core migrates them through
 * bb_migratepage(), which tells the host about the new page (inflate) and then the old one
 * (deflate), one page each. Free page reporting (report.c) and page poison make it a drop-in for
 * the stock driver; system sleep empties the balloon (freeze) and refills it (restore).
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/oom.h>
#include <linux/poison.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <uapi/linux/virtio_ring.h>

#include "ballast_balloon.h"

/*
 * Device-specific feature bits are 0-23 (VIRTIO 1.2 6). The spec gives 0-5 to the balloon's
 * standard features (MUST_TELL_HOST, STATS_VQ, DEFLATE_ON_OOM, FREE_PAGE_HINT, PAGE_POISON,
 * PAGE_REPORTING): SG may only take a bit no standard device could offer, or a standard device
 * offering that feature would be taken for an SG device and discard arbitrary guest pages.
 */
#define BB_SG_BIT_DEFAULT 23
#define BB_SG_BIT_MIN 6
#define BB_SG_BIT_MAX 23
#define BB_OOM_NOTIFY_PRIORITY 80

/* Parameters that are orders: 0 to MAX_ORDER - 1 (the largest block the buddy allocator has). */
static int bb_set_order(const char *val, const struct kernel_param *kp)
{
	unsigned int order;
	int err = kstrtouint(val, 0, &order);

	if (err)
		return err;
	if (order >= MAX_ORDER)
		return -ERANGE;
	*(unsigned int *)kp->arg = order;
	return 0;
}

static const struct kernel_param_ops bb_order_ops = {
	.set = bb_set_order,
	.get = param_get_uint,
};

/* oom_pages: 1 to 65536 frames (256 MiB) per OOM notification. */
static int bb_set_oom_pages(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int err = kstrtouint(val, 0, &n);

	if (err)
		return err;
	if (!n || n > 65536)
		return -ERANGE;
	*(unsigned int *)kp->arg = n;
	return 0;
}

static const struct kernel_param_ops bb_oom_pages_ops = {
	.set = bb_set_oom_pages,
	.get = param_get_uint,
};

static int sg_bit = BB_SG_BIT_DEFAULT;
module_param(sg_bit, int, 0444);
MODULE_PARM_DESC(sg_bit,
		 "Feature bit of Ballast's SG extension, 6-23 (default 23), or -1 to never negotiate it");

static unsigned int alloc_order;
module_param_cb(alloc_order, &bb_order_ops, &alloc_order, 0644);
MODULE_PARM_DESC(alloc_order,
		 "Inflate: allocate blocks of 2^alloc_order pages while the allocator has them free (0 to MAX_ORDER-1; default 0 = single pages)");

static bool keep_blocks = true;
module_param(keep_blocks, bool, 0644);
MODULE_PARM_DESC(keep_blocks,
		 "Inflate: keep blocks of pageblock order or more whole in the balloon instead of splitting them into order-0 balloon pages (default on)");

static unsigned long batch_pages = 65536;
module_param(batch_pages, ulong, 0644);
MODULE_PARM_DESC(batch_pages,
		 "SG: most allocations per fill (order-0 pages, or blocks kept whole) and most pages per leak, i.e. per `actual` update (default 65536 = 256 MiB of pages; 0 = as many as the target asks)");

static unsigned long step_allocs = BB_STEP_ALLOCS;
module_param(step_allocs, ulong, 0644);
MODULE_PARM_DESC(step_allocs,
		 "SG inflate: allocations (pages or blocks) per step; each step's runs go to the host, which releases them while the next step is allocated (default 8192; 0 = one step per batch)");

static unsigned int oom_pages = 256;
module_param_cb(oom_pages, &bb_oom_pages_ops, &oom_pages, 0644);
MODULE_PARM_DESC(oom_pages,
		 "Deflate-on-OOM: 4 KiB frames given back per OOM notification (1-65536; default 256)");

static unsigned int report_order;
module_param_cb(report_order, &bb_order_ops, &report_order, 0444);
MODULE_PARM_DESC(report_order,
		 "Free page reporting: the smallest free block reported is 2^report_order pages (0 to MAX_ORDER-1; default 0 = pageblock order)");

/* ---- config space ------------------------------------------------------------------------- */

/* Frames the balloon must still take (> 0) or give back (< 0) to reach num_pages. */
static s64 bb_towards_target(struct ballast_balloon *vb)
{
	u32 num_pages;

	/* The balloon's config space is little-endian even for legacy devices. */
	virtio_cread_le(vb->vdev, struct virtio_balloon_config, num_pages, &num_pages);
	/* Whole guest pages only: a target between two pages would make the balloon oscillate. */
	return (s64)ALIGN((u64)num_pages, BB_FRAMES_PER_PAGE) - READ_ONCE(vb->num_pages);
}

static void bb_update_actual(struct ballast_balloon *vb)
{
	u32 actual = READ_ONCE(vb->num_pages);

	virtio_cwrite_le(vb->vdev, struct virtio_balloon_config, actual, &actual);
}

/* ---- fill and leak ------------------------------------------------------------------------ */

/* Most pages one fill or leak call handles. */
static unsigned long bb_batch_limit(struct ballast_balloon *vb)
{
	unsigned long limit = READ_ONCE(batch_pages);

	if (!vb->sg)
		return BB_PFNS_MAX / BB_FRAMES_PER_PAGE;
	return limit ? limit : ULONG_MAX;
}

/*
 * Most pages one fill handles: batch_pages counts allocations, so with blocks kept whole a batch
 * is batch_pages blocks. A kept block costs the guest what an order-0 page does (one allocation,
 * one list entry), and each batch costs an `actual` write and a config read, round trips to the
 * host that would otherwise be most of a huge-page inflate.
 */
static unsigned long bb_fill_limit(struct ballast_balloon *vb, unsigned int order, bool keep)
{
	unsigned long limit = bb_batch_limit(vb);

	if (vb->sg && keep && order >= bb_keep_order() && limit <= ULONG_MAX >> order)
		limit <<= order;
	return limit;
}

/*
 * The debug line (one per batch; `dyndbg=+p` at load), times in microseconds. Inflate: prep =
 * allocating the pages and sending all steps but the last (the host releasing meanwhile); post =
 * enqueueing the pages into the balloon (the host still releasing the last step); host = what is
 * left of waiting for the host. Deflate: prep = taking the pages out of the balloon; host =
 * sending their runs and waiting; post = freeing them.
 */
struct bb_shape {
	unsigned long pages;
	unsigned long span;
	unsigned int hi_allocs;
};

/* What the debug line says of @b: taken before enqueue or release, which empty the batch. */
static struct bb_shape bb_shape_of(const struct bb_batch *b)
{
	return (struct bb_shape){
		.pages = b->count,
		.span = b->count ? b->pfn_max - b->pfn_min + 1 : 0,
		.hi_allocs = b->hi_allocs,
	};
}

static void bb_log_batch(struct ballast_balloon *vb, const char *what, struct bb_shape shape,
			 const struct bb_tally *tally, s64 prep_us, s64 host_us, s64 post_us)
{
	dev_dbg(&vb->vdev->dev,
		"%s pages=%lu blocks=%u span=%lu entries=%u kicks=%u runs=%s prep_us=%lld host_us=%lld post_us=%lld balloon=%u\n",
		what, shape.pages, shape.hi_allocs, shape.span, tally->entries,
		tally->kicks, !vb->sg ? "pfn" : tally->bitmap ? "bitmap" : "list",
		prep_us, host_us, post_us, vb->num_pages);
}

static void bb_tally_add(struct bb_tally *to, const struct bb_tally *from)
{
	to->entries += from->entries;
	to->kicks += from->kicks;
	to->bitmap |= from->bitmap;
}

/* Sends one inflate step under the lock; on failure the step's pages go back to the allocator. */
static int bb_fill_step(struct ballast_balloon *vb, struct bb_batch *s, struct bb_tally *tally)
{
	int err;

	memset(&vb->tally, 0, sizeof(vb->tally));
	err = bb_tell_batch(vb, vb->inflate_vq, s, false);
	bb_tally_add(tally, &vb->tally);
	if (err) {
		/* A broken queue: nothing reaches the host any more; the pages are the guest's. */
		dev_err_ratelimited(&vb->vdev->dev, "inflate: cannot tell the host (%d); %lu pages freed\n",
				    err, s->count);
		bb_batch_free(s);
	}
	return err;
}

/*
 * Inflates by up to @frames (one batch); returns the frames added.
 *
 * PFN mode: allocate (up to 256 frames), tell, enqueue. SG: a pipeline of steps of step_allocs
 * allocations. Each step but the last is allocated without the lock, then its runs are added and
 * kicked without waiting, so the host releases it while the next step is allocated. The pages
 * stay private meanwhile: the lock is dropped between steps, and a page that the OOM notifier or
 * migration could reach must not have an inflate still on its way (a deflate sent on the other
 * queue could overtake it). The last step is sent under the lock that is then held until the host
 * has returned every buffer: the whole batch is enqueued while the host releases, and nothing can
 * deflate or migrate those pages before the host's acknowledgment. Nothing is allocated under the
 * lock (the OOM notifier takes it).
 */
static unsigned int bb_fill(struct ballast_balloon *vb, unsigned long frames)
{
	unsigned int order = min_t(unsigned int, READ_ONCE(alloc_order), MAX_ORDER - 1);
	unsigned long allocs = vb->sg ? READ_ONCE(step_allocs) : 0;
	bool keep = READ_ONCE(keep_blocks);
	unsigned long want = min(frames / BB_FRAMES_PER_PAGE, bb_fill_limit(vb, order, keep)), got;
	struct bb_tally tally = {};
	struct bb_shape shape;
	ktime_t t0, t1, t2, t3;
	struct bb_batch b, s;
	bool short_of_memory;
	int err = 0;

	bb_batch_init(&b);
	bb_batch_init(&s);
	t0 = ktime_get();
	for (;;) {
		short_of_memory = bb_batch_alloc(&s, want - b.count, &order, allocs ?: ULONG_MAX,
						 keep) < 0;
		if (short_of_memory || b.count + s.count == want)
			break;	/* the last step */
		mutex_lock(&vb->lock);
		/* Ours alone until enqueued, so the host may hear about them first. */
		err = bb_fill_step(vb, &s, &tally);
		mutex_unlock(&vb->lock);
		if (err)
			break;
		bb_batch_splice(&b, &s);
	}
	t1 = ktime_get();
	if (short_of_memory)
		dev_info_ratelimited(&vb->vdev->dev, "out of puff: %lu of %lu pages\n",
				     b.count + s.count, want);

	mutex_lock(&vb->lock);
	if (!err && s.count)
		err = bb_fill_step(vb, &s, &tally);
	bb_batch_splice(&b, &s);
	shape = bb_shape_of(&b);
	got = b.count;
	if (got) {
		bb_batch_enqueue(vb, &b);
		t2 = ktime_get();
		memset(&vb->tally, 0, sizeof(vb->tally));
		/* A broken queue returns nothing; what it was told stays in the balloon. */
		bb_tell_wait(vb, vb->inflate_vq, false);
		bb_tally_add(&tally, &vb->tally);
		vb->num_pages += got * BB_FRAMES_PER_PAGE;
		t3 = ktime_get();
		bb_log_batch(vb, "inflate", shape, &tally, ktime_us_delta(t1, t0),
			     ktime_us_delta(t3, t2), ktime_us_delta(t2, t1));
	}
	mutex_unlock(&vb->lock);
	/* Short of memory: give the allocator a moment before the next try, as the stock driver. */
	if (short_of_memory)
		msleep(200);
	return got * BB_FRAMES_PER_PAGE;
}

/*
 * Deflates by up to @frames with the balloon lock held; returns the frames given back. The host
 * hears about the pages before they are freed (MUST_TELL_HOST order); if it cannot (a broken
 * queue) or does not answer in time (@oom), the pages stay in the balloon. @oom: called from the
 * OOM notifier, so nothing may be allocated (the bitmap was allocated at probe), waits are
 * bounded, and oom_pages bounds @frames instead of the batch limit.
 */
static unsigned int bb_leak_locked(struct ballast_balloon *vb, unsigned long frames, bool oom)
{
	unsigned long want = frames / BB_FRAMES_PER_PAGE, got;
	struct bb_shape shape;
	ktime_t t0, t1, t2, t3;
	struct bb_batch b;
	int err;

	/* Deflate is cheap for the host (nothing to release): tell, wait, free; no pipeline. */
	if (!oom)
		want = min(want, bb_batch_limit(vb));
	bb_batch_init(&b);
	t0 = ktime_get();
	want = min(want, (unsigned long)(vb->num_pages / BB_FRAMES_PER_PAGE));
	got = bb_batch_dequeue(vb, &b, want);
	if (!got)
		return 0;	/* nothing to tell (and no queues while frozen) */
	shape = bb_shape_of(&b);
	memset(&vb->tally, 0, sizeof(vb->tally));
	t1 = ktime_get();
	err = bb_tell_batch(vb, vb->deflate_vq, &b, oom);
	if (!err)
		err = bb_tell_wait(vb, vb->deflate_vq, oom);
	t2 = ktime_get();
	if (err) {
		dev_warn_ratelimited(&vb->vdev->dev,
				     "%s: the host did not take %lu pages back (%d); they stay in the balloon\n",
				     oom ? "deflate-oom" : "deflate", got, err);
		bb_batch_requeue(vb, &b);
		return 0;
	}
	vb->num_pages -= got * BB_FRAMES_PER_PAGE;
	bb_batch_release(vb, &b);
	t3 = ktime_get();
	bb_log_batch(vb, oom ? "deflate-oom" : "deflate", shape, &vb->tally,
		     ktime_us_delta(t1, t0), ktime_us_delta(t2, t1), ktime_us_delta(t3, t2));
	return got * BB_FRAMES_PER_PAGE;
}

static unsigned int bb_leak(struct ballast_balloon *vb, unsigned long frames)
{
	unsigned int got;

	mutex_lock(&vb->lock);
	got = bb_leak_locked(vb, frames, false);
	mutex_unlock(&vb->lock);
	return got;
}

/* On target: the bookkeeping a fill left for later (offline marks of kept blocks). */
static void bb_settle(struct ballast_balloon *vb)
{
	ktime_t t0 = ktime_get();
	unsigned long n;

	mutex_lock(&vb->lock);
	n = bb_blocks_settle(vb);
	mutex_unlock(&vb->lock);
	if (n)
		dev_dbg(&vb->vdev->dev, "settle blocks=%lu us=%lld\n", n,
			ktime_us_delta(ktime_get(), t0));
}

static void bb_size_work(struct work_struct *work)
{
	struct ballast_balloon *vb = container_of(work, struct ballast_balloon, size_work);
	s64 diff = bb_towards_target(vb);
	unsigned int done;

	if (diff > 0)
		done = bb_fill(vb, diff);
	else if (diff < 0)
		done = bb_leak(vb, -diff);
	else
		done = 0;
	if (diff)
		bb_update_actual(vb);
	/* Again until on target, unless the device stopped taking buffers. */
	if (done != (diff > 0 ? diff : -diff) &&
	    (done || !virtqueue_is_broken(diff > 0 ? vb->inflate_vq : vb->deflate_vq)))
		queue_work(system_freezable_wq, work);
	else
		bb_settle(vb);
}

static void bb_config_changed(struct virtio_device *vdev)
{
	struct ballast_balloon *vb = vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&vb->stop_lock, flags);
	if (!vb->stop_update)
		queue_work(system_freezable_wq, &vb->size_work);
	spin_unlock_irqrestore(&vb->stop_lock, flags);
}

/* ---- OOM and migration -------------------------------------------------------------------- */

/* The balloon lock within BB_OOM_WAIT_MS, or false: a fill may hold it while the host releases. */
static bool bb_lock_for_oom(struct ballast_balloon *vb)
{
	unsigned long end = jiffies + msecs_to_jiffies(BB_OOM_WAIT_MS);

	do {
		if (mutex_trylock(&vb->lock))
			return true;
		usleep_range(500, 1000);
	} while (time_before(jiffies, end));
	return false;
}

static int bb_oom_notify(struct notifier_block *nb, unsigned long unused, void *parm)
{
	struct ballast_balloon *vb = container_of(nb, struct ballast_balloon, oom_nb);
	unsigned long *freed = parm;
	unsigned int frames;

	if (!bb_lock_for_oom(vb)) {
		dev_warn_ratelimited(&vb->vdev->dev, "deflate-oom: balloon busy for %d ms, nothing given back\n",
				     BB_OOM_WAIT_MS);
		return NOTIFY_OK;
	}
	frames = bb_leak_locked(vb, READ_ONCE(oom_pages), true);
	if (frames)
		bb_update_actual(vb);
	mutex_unlock(&vb->lock);
	*freed += frames / BB_FRAMES_PER_PAGE;
	return NOTIFY_OK;
}

#ifdef CONFIG_BALLOON_COMPACTION
/*
 * Compaction moves balloon page @page to @newpage (both locked; @page is isolated). In place of a
 * copy: the host hears of @newpage as inflated and @newpage joins the balloon, then @page is
 * deflated and freed. Under a fill or leak (balloon lock taken), or with a broken queue, it gives
 * up; compaction retries later.
 */
static int bb_migratepage(struct balloon_dev_info *info, struct page *newpage,
			  struct page *page, enum migrate_mode mode)
{
	struct ballast_balloon *vb = container_of(info, struct ballast_balloon, b_dev_info);
	unsigned long flags;

	if (!mutex_trylock(&vb->lock))
		return -EAGAIN;
	memset(&vb->tally, 0, sizeof(vb->tally));
	if (bb_tell_page(vb, vb->inflate_vq, newpage)) {
		mutex_unlock(&vb->lock);
		return -EAGAIN;
	}

	get_page(newpage);	/* the balloon's reference */
	/* Without deflate-on-OOM the balloon is out of its zone's managed count: move it. */
	if (!vb->deflate_on_oom && page_zone(page) != page_zone(newpage)) {
		adjust_managed_page_count(page, 1);
		adjust_managed_page_count(newpage, -1);
	}

	spin_lock_irqsave(&info->pages_lock, flags);
	balloon_page_insert(info, newpage);
	info->isolated_pages--;
	__count_vm_event(BALLOON_MIGRATE);
	spin_unlock_irqrestore(&info->pages_lock, flags);

	/*
	 * If the host does not hear of the old page's deflate (the queue broke just now), it still
	 * counts it as ballooned; the guest frees it anyway, as nothing reaches the host any more.
	 */
	if (bb_tell_page(vb, vb->deflate_vq, page))
		dev_warn_ratelimited(&vb->vdev->dev, "migrate: cannot tell the host of the old page\n");
	mutex_unlock(&vb->lock);

	balloon_page_finalize(page);
	put_page(page);		/* the balloon's reference */
	return MIGRATEPAGE_SUCCESS;
}
#endif

/* ---- queues, poison, bring-up and tear-down ----------------------------------------------- */

/* The inflate and deflate queues' interrupt: a fill, leak or migration is waiting for buffers. */
static void bb_ack(struct virtqueue *vq)
{
	struct ballast_balloon *vb = vq->vdev->priv;

	wake_up(&vb->acked);
}

/*
 * Asks for the queues of the negotiated features only: a NULL name skips a queue and the
 * transport numbers the rest consecutively (VIRTIO 1.2 5.5.2).
 */
static int bb_init_vqs(struct ballast_balloon *vb)
{
	vq_callback_t *callbacks[BB_VQ_MAX] = {
		[BB_VQ_INFLATE] = bb_ack,
		[BB_VQ_DEFLATE] = bb_ack,
		[BB_VQ_STATS] = bb_stats_request,
		[BB_VQ_REPORTING] = bb_report_ack,
	};
	const char *names[BB_VQ_MAX] = { [BB_VQ_INFLATE] = "inflate", [BB_VQ_DEFLATE] = "deflate" };
	struct virtqueue *vqs[BB_VQ_MAX] = {};
	int err;

	if (virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_STATS_VQ))
		names[BB_VQ_STATS] = "stats";
	if (virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_REPORTING))
		names[BB_VQ_REPORTING] = "reporting";
	err = virtio_find_vqs(vb->vdev, BB_VQ_MAX, vqs, callbacks, names, NULL);
	if (err)
		return err;
	vb->inflate_vq = vqs[BB_VQ_INFLATE];
	vb->deflate_vq = vqs[BB_VQ_DEFLATE];
	vb->stats_vq = vqs[BB_VQ_STATS];
	vb->reporting_vq = vqs[BB_VQ_REPORTING];
	vb->in_flight[0] = 0;
	vb->in_flight[1] = 0;
	vb->pfns_vq = NULL;
	if (vb->stats_vq) {
		err = bb_stats_prime(vb);
		if (err) {
			dev_warn(&vb->vdev->dev, "cannot prime the stats queue (%d)\n", err);
			vb->vdev->config->del_vqs(vb->vdev);
			return err;
		}
	}
	return 0;
}

/*
 * Page poison (VIRTIO 1.2 5.5.6.x): with page poisoning or init_on_free, free pages hold a known
 * pattern (0 for init_on_free) that the guest may check when it allocates them. A device that may
 * discard reported pages must know it; if it cannot be told, reporting is off. Without either,
 * free pages hold nothing the guest relies on and PAGE_POISON is not negotiated.
 */
static bool bb_poisons(void)
{
	return want_init_on_free() || page_poisoning_enabled_static();
}

static void bb_write_poison(struct ballast_balloon *vb)
{
	u32 poison = 0;

	if (!virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_PAGE_POISON))
		return;
	if (!want_init_on_free())
		memset(&poison, PAGE_POISON, sizeof(poison));
	virtio_cwrite_le(vb->vdev, struct virtio_balloon_config, poison_val, &poison);
}

static int bb_validate(struct virtio_device *vdev)
{
	if (!bb_poisons())
		__virtio_clear_bit(vdev, VIRTIO_BALLOON_F_PAGE_POISON);
	else if (!virtio_has_feature(vdev, VIRTIO_BALLOON_F_PAGE_POISON))
		__virtio_clear_bit(vdev, VIRTIO_BALLOON_F_REPORTING);
	/* Each buffer is one entry, or a report: indirect descriptors only cost an allocation. */
	__virtio_clear_bit(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	/* SG entries are guest-physical runs, not DMA mappings (the stock driver clears it too). */
	__virtio_clear_bit(vdev, VIRTIO_F_ACCESS_PLATFORM);
	return 0;
}

/* With queues set up: poison value, device live, reporting, and the first size work if needed. */
static void bb_go_live(struct ballast_balloon *vb)
{
	unsigned long flags;

	bb_write_poison(vb);
	virtio_device_ready(vb->vdev);
	bb_report_start(vb, report_order);
	spin_lock_irqsave(&vb->stop_lock, flags);
	vb->stop_update = false;
	spin_unlock_irqrestore(&vb->stop_lock, flags);
	/* A stats request that came before stop_update fell would be lost: look once. */
	if (vb->stats_vq)
		queue_work(system_freezable_wq, &vb->stats_work);
	if (bb_towards_target(vb))
		bb_config_changed(vb->vdev);
}

/*
 * Stops everything that could touch the queues and gives every page back to the guest (pages
 * isolated by compaction come back to the list, then go too), telling the host; the queues stay.
 */
static void bb_quiesce(struct ballast_balloon *vb)
{
	bb_report_stop(vb);
	spin_lock_irq(&vb->stop_lock);
	vb->stop_update = true;
	spin_unlock_irq(&vb->stop_lock);
	cancel_work_sync(&vb->size_work);
	cancel_work_sync(&vb->stats_work);

	while (vb->num_pages) {
		if (!bb_leak(vb, vb->num_pages) && virtqueue_is_broken(vb->deflate_vq))
			break;
		cond_resched();
	}
	bb_update_actual(vb);
}

static int bb_probe(struct virtio_device *vdev)
{
	struct ballast_balloon *vb;
	int err;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config space cannot be read\n");
		return -EINVAL;
	}
	vb = kzalloc(sizeof(*vb), GFP_KERNEL);
	if (!vb)
		return -ENOMEM;
	vdev->priv = vb;
	vb->vdev = vdev;
	INIT_WORK(&vb->size_work, bb_size_work);
	INIT_WORK(&vb->stats_work, bb_stats_work);
	spin_lock_init(&vb->stop_lock);
	vb->stop_update = true;
	init_waitqueue_head(&vb->acked);
	init_waitqueue_head(&vb->reported);
	mutex_init(&vb->lock);
	balloon_devinfo_init(&vb->b_dev_info);
	INIT_LIST_HEAD(&vb->blocks);
#ifdef CONFIG_BALLOON_COMPACTION
	vb->b_dev_info.migratepage = bb_migratepage;
#endif
	vb->sg = sg_bit >= 0 && virtio_has_feature(vdev, sg_bit);
	vb->deflate_on_oom = virtio_has_feature(vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
	if (vb->sg)
		bb_alloc_bitmap(vb);

	err = bb_init_vqs(vb);
	if (err)
		goto out_free;
	if (vb->deflate_on_oom) {
		vb->oom_nb.notifier_call = bb_oom_notify;
		vb->oom_nb.priority = BB_OOM_NOTIFY_PRIORITY;
		err = register_oom_notifier(&vb->oom_nb);
		if (err)
			goto out_del_vqs;
	}

	bb_go_live(vb);
	dev_info(&vdev->dev,
		 "%s balloon: sg_bit=%d ring=%u alloc_order=%u batch_pages=%lu deflate_on_oom=%d stats=%d reporting=%d poison=%d\n",
		 vb->sg ? "SG" : "PFN", sg_bit, virtqueue_get_vring_size(vb->inflate_vq),
		 alloc_order, batch_pages, vb->deflate_on_oom, !!vb->stats_vq, vb->reporting,
		 virtio_has_feature(vdev, VIRTIO_BALLOON_F_PAGE_POISON));
	return 0;

out_del_vqs:
	vdev->config->del_vqs(vdev);
out_free:
	bb_free_bitmap(vb);
	kfree(vb);
	return err;
}

static void bb_remove(struct virtio_device *vdev)
{
	struct ballast_balloon *vb = vdev->priv;
	unsigned int frames = vb->num_pages;

	if (vb->deflate_on_oom)
		unregister_oom_notifier(&vb->oom_nb);
	bb_quiesce(vb);
	dev_info(&vdev->dev,
		 "removed: gave back %u frames; balloon %u frames, list %s, blocks %s, %lu isolated\n",
		 frames, vb->num_pages, list_empty(&vb->b_dev_info.pages) ? "empty" : "NOT EMPTY",
		 list_empty(&vb->blocks) ? "none" : "LEFT", vb->b_dev_info.isolated_pages);

	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	bb_free_bitmap(vb);
	kfree(vb);
}

#ifdef CONFIG_PM_SLEEP
/*
 * System sleep (suspend, hibernation): the balloon is emptied, telling the host, and the queues go;
 * restore brings them back and the size work refills towards the target. The OOM notifier stays
 * registered: with the balloon empty it has nothing to do.
 */
static int bb_freeze(struct virtio_device *vdev)
{
	struct ballast_balloon *vb = vdev->priv;

	bb_quiesce(vb);
	dev_info(&vdev->dev, "frozen: balloon %u frames\n", vb->num_pages);
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	vb->inflate_vq = NULL;
	vb->deflate_vq = NULL;
	vb->stats_vq = NULL;
	vb->reporting_vq = NULL;
	return 0;
}

static int bb_restore(struct virtio_device *vdev)
{
	struct ballast_balloon *vb = vdev->priv;
	int err;

	err = bb_init_vqs(vb);
	if (err)
		return err;
	bb_go_live(vb);
	bb_update_actual(vb);
	dev_info(&vdev->dev, "restored: target %lld frames away\n", bb_towards_target(vb));
	return 0;
}
#endif

/* ---- module ------------------------------------------------------------------------------- */

static unsigned int bb_features[] = {
	VIRTIO_BALLOON_F_MUST_TELL_HOST,
	VIRTIO_BALLOON_F_STATS_VQ,
	VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
	VIRTIO_BALLOON_F_PAGE_POISON,
	VIRTIO_BALLOON_F_REPORTING,
	BB_SG_BIT_DEFAULT,	/* last: replaced by sg_bit, or dropped for sg_bit=-1, at load */
};

static const struct virtio_device_id bb_id_table[] = {
	{ VIRTIO_ID_BALLOON, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct virtio_driver bb_driver = {
	.feature_table = bb_features,
	.feature_table_size = ARRAY_SIZE(bb_features),
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = bb_id_table,
	.validate = bb_validate,
	.probe = bb_probe,
	.remove = bb_remove,
	.config_changed = bb_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = bb_freeze,
	.restore = bb_restore,
#endif
};

static int __init bb_init(void)
{
	if (sg_bit != -1 && (sg_bit < BB_SG_BIT_MIN || sg_bit > BB_SG_BIT_MAX)) {
		pr_err("ballast_balloon: sg_bit=%d: must be %d-%d (0-5 are standard features), or -1 for no SG\n",
		       sg_bit, BB_SG_BIT_MIN, BB_SG_BIT_MAX);
		return -EINVAL;
	}
	if (sg_bit == -1)
		bb_driver.feature_table_size = ARRAY_SIZE(bb_features) - 1;
	else
		bb_features[ARRAY_SIZE(bb_features) - 1] = sg_bit;
	return register_virtio_driver(&bb_driver);
}

static void __exit bb_exit(void)
{
	unregister_virtio_driver(&bb_driver);
}

module_init(bb_init);
module_exit(bb_exit);
MODULE_DEVICE_TABLE(virtio, bb_id_table);
MODULE_DESCRIPTION("Ballast virtio balloon: PFN arrays or scatter-gather runs, page reporting");
MODULE_LICENSE("GPL");
