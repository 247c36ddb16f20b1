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
 * whether or not VIRTIO_BALLOON_F_MUST_TELL_HOST was negotiated. With DEFLATE_ON_OOM an OOM notifier gives
 * back oom_pages frames per call without allocating anything. Balloon pages stay movable: the
 * compaction core migrates them through bb_migratepage(), which tells the host about the new page
 * (inflate) and then the old one (deflate), one page each.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/oom.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <uapi/linux/virtio_ring.h>

#include "ballast_balloon.h"

#define BB_SG_BIT_DEFAULT 23
/* Device-specific feature bits are 0-23; 0-2 are the standard ones this driver also takes. */
#define BB_SG_BIT_MIN 3
#define BB_SG_BIT_MAX 23
#define BB_OOM_NOTIFY_PRIORITY 80

static int sg_bit = BB_SG_BIT_DEFAULT;
module_param(sg_bit, int, 0444);
MODULE_PARM_DESC(sg_bit, "Feature bit of Ballast's SG extension, 3-23 (default 23; 3 = the seed's), or -1 to never negotiate it");

static unsigned int alloc_order;
module_param(alloc_order, uint, 0644);
MODULE_PARM_DESC(alloc_order, "Inflate: allocate blocks of 2^alloc_order pages when the allocator has them free, split into order-0 balloon pages (default 0 = single pages)");

static unsigned long batch_pages = 65536;
module_param(batch_pages, ulong, 0644);
MODULE_PARM_DESC(batch_pages, "SG: most pages per fill or leak call, i.e. per `actual` update (default 65536 = 256 MiB; 0 = as many as the target asks)");

static unsigned long step_allocs = BB_STEP_ALLOCS;
module_param(step_allocs, ulong, 0644);
MODULE_PARM_DESC(step_allocs, "SG inflate: allocations (pages or blocks) per step; each step's runs go to the host, which releases them while the next step is allocated (default 8192; 0 = one step per batch)");

static unsigned int oom_pages = 256;
module_param(oom_pages, uint, 0644);
MODULE_PARM_DESC(oom_pages, "Deflate-on-OOM: 4 KiB frames given back per OOM notification (default 256)");

static bool verbose;
module_param(verbose, bool, 0644);
MODULE_PARM_DESC(verbose, "Log one line per batch: pages, entries, kicks, time spent (default off)");

/* ---- config space ------------------------------------------------------------------------- */

/* Frames the balloon must still take (> 0) or give back (< 0) to reach num_pages. */
static s64 bb_towards_target(struct ballast_balloon *vb)
{
	u32 num_pages;

	/* The balloon's config space is little-endian even for legacy devices. */
	virtio_cread_le(vb->vdev, struct virtio_balloon_config, num_pages, &num_pages);
	/* Whole guest pages only, or a target between two pages would make the balloon oscillate. */
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
 * The verbose line (one per batch), times in microseconds. Inflate: prep = allocating the pages
 * and sending all steps but the last (the host releasing meanwhile); post = enqueueing the pages
 * as balloon pages (the host still releasing the last step); host = what is left of waiting for
 * the host. Deflate: prep = taking the pages out of the balloon; host = sending their runs and
 * waiting; post = freeing them.
 */
static void bb_log_batch(struct ballast_balloon *vb, const char *what, const struct bb_batch *b,
			 unsigned long pages, const struct bb_tally *tally,
			 s64 prep_us, s64 host_us, s64 post_us)
{
	dev_info(&vb->vdev->dev,
		 "%s pages=%lu blocks=%u span=%lu entries=%u kicks=%u runs=%s prep_us=%lld host_us=%lld post_us=%lld balloon=%u\n",
		 what, pages, b->blocks, pages ? b->pfn_max - b->pfn_min + 1 : 0, tally->entries,
		 tally->kicks, !vb->sg ? "pfn" : tally->bitmap ? "bitmap" : "list",
		 prep_us, host_us, post_us, vb->num_pages);
}

static void bb_tally_add(struct bb_tally *to, const struct bb_tally *from)
{
	to->entries += from->entries;
	to->kicks += from->kicks;
	to->bitmap |= from->bitmap;
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
 * deflate or migrate those pages before the host's acknowledgment.
 */
static unsigned int bb_fill(struct ballast_balloon *vb, unsigned long frames)
{
	unsigned long want = min(frames / BB_FRAMES_PER_PAGE, bb_batch_limit(vb)), got;
	unsigned int order = min_t(unsigned int, READ_ONCE(alloc_order), MAX_ORDER - 1);
	unsigned long allocs = vb->sg ? READ_ONCE(step_allocs) : 0;
	struct bb_tally tally = {};
	ktime_t t0, t1, t2, t3;
	struct bb_batch b, s;
	bool short_of_memory;

	bb_batch_init(&b);
	bb_batch_init(&s);
	t0 = ktime_get();
	for (;;) {
		short_of_memory = bb_batch_alloc(&s, want - b.count, &order, allocs ?: ULONG_MAX) < 0;
		if (short_of_memory || b.count + s.count == want)
			break;	/* the last step */
		mutex_lock(&vb->lock);
		memset(&vb->tally, 0, sizeof(vb->tally));
		/* The pages are ours alone until enqueued, so the host may hear about them first. */
		bb_tell_batch(vb, vb->inflate_vq, &s, true);
		bb_tally_add(&tally, &vb->tally);
		mutex_unlock(&vb->lock);
		bb_batch_splice(&b, &s);
	}
	t1 = ktime_get();
	got = b.count + s.count;
	if (short_of_memory)
		dev_info_ratelimited(&vb->vdev->dev, "out of puff: %lu of %lu pages\n", got, want);

	if (got) {
		mutex_lock(&vb->lock);
		memset(&vb->tally, 0, sizeof(vb->tally));
		bb_tell_batch(vb, vb->inflate_vq, &s, true);
		bb_batch_splice(&b, &s);
		bb_batch_enqueue(vb, &b);
		t2 = ktime_get();
		bb_tell_wait(vb, vb->inflate_vq);
		bb_tally_add(&tally, &vb->tally);
		vb->num_pages += got * BB_FRAMES_PER_PAGE;
		t3 = ktime_get();
		if (READ_ONCE(verbose))
			bb_log_batch(vb, "inflate", &b, got, &tally, ktime_us_delta(t1, t0),
				     ktime_us_delta(t3, t2), ktime_us_delta(t2, t1));
		mutex_unlock(&vb->lock);
	}
	/* Short of memory: give the allocator a moment before the next try, as the stock driver does. */
	if (short_of_memory)
		msleep(200);
	return got * BB_FRAMES_PER_PAGE;
}

/*
 * Deflates by up to @frames; returns the frames given back. The host hears about the pages before
 * they are freed (MUST_TELL_HOST order). @oom: called from the OOM notifier, so nothing may be
 * allocated (no bitmap) and oom_pages bounds @frames instead of the batch limit.
 */
static unsigned int bb_leak(struct ballast_balloon *vb, unsigned long frames, bool oom)
{
	unsigned long want = frames / BB_FRAMES_PER_PAGE, got;
	ktime_t t0, t1, t2, t3;
	struct bb_batch b;

	/* Deflate is cheap for the host (nothing to release) and needs no pipeline: tell, wait, free. */
	if (!oom)
		want = min(want, bb_batch_limit(vb));
	bb_batch_init(&b);
	mutex_lock(&vb->lock);
	t0 = ktime_get();
	want = min(want, (unsigned long)(vb->num_pages / BB_FRAMES_PER_PAGE));
	got = bb_batch_dequeue(vb, &b, want);
	vb->num_pages -= got * BB_FRAMES_PER_PAGE;
	memset(&vb->tally, 0, sizeof(vb->tally));
	t1 = ktime_get();
	bb_tell_batch(vb, vb->deflate_vq, &b, !oom);
	bb_tell_wait(vb, vb->deflate_vq);
	t2 = ktime_get();
	bb_batch_release(vb, &b);
	t3 = ktime_get();
	if (READ_ONCE(verbose) && got)
		bb_log_batch(vb, oom ? "deflate-oom" : "deflate", &b, got, &vb->tally,
			     ktime_us_delta(t1, t0), ktime_us_delta(t2, t1), ktime_us_delta(t3, t2));
	mutex_unlock(&vb->lock);
	return got * BB_FRAMES_PER_PAGE;
}

static void bb_size_work(struct work_struct *work)
{
	struct ballast_balloon *vb = container_of(work, struct ballast_balloon, size_work);
	s64 diff = bb_towards_target(vb);

	if (!diff)
		return;
	if (diff > 0)
		diff -= bb_fill(vb, diff);
	else
		diff += bb_leak(vb, -diff, false);
	bb_update_actual(vb);
	if (diff)
		queue_work(system_freezable_wq, work);
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

static int bb_oom_notify(struct notifier_block *nb, unsigned long unused, void *parm)
{
	struct ballast_balloon *vb = container_of(nb, struct ballast_balloon, oom_nb);
	unsigned long *freed = parm;

	*freed += bb_leak(vb, READ_ONCE(oom_pages), true) / BB_FRAMES_PER_PAGE;
	bb_update_actual(vb);
	return NOTIFY_OK;
}

#ifdef CONFIG_BALLOON_COMPACTION
/*
 * Compaction moves balloon page @page to @newpage (both locked; @page is isolated). In place of a
 * copy: @newpage joins the balloon and the host hears of it as inflated, then @page is deflated
 * and freed. Under a fill or leak (balloon lock taken) it gives up; compaction retries later.
 */
static int bb_migratepage(struct balloon_dev_info *info, struct page *newpage,
			  struct page *page, enum migrate_mode mode)
{
	struct ballast_balloon *vb = container_of(info, struct ballast_balloon, b_dev_info);
	unsigned long flags;

	if (!mutex_trylock(&vb->lock))
		return -EAGAIN;

	get_page(newpage);	/* the balloon's reference */
	/* Without deflate-on-OOM the balloon's memory is out of its zone's managed count: move it. */
	if (!vb->deflate_on_oom && page_zone(page) != page_zone(newpage)) {
		adjust_managed_page_count(page, 1);
		adjust_managed_page_count(newpage, -1);
	}

	spin_lock_irqsave(&info->pages_lock, flags);
	balloon_page_insert(info, newpage);
	info->isolated_pages--;
	__count_vm_event(BALLOON_MIGRATE);
	spin_unlock_irqrestore(&info->pages_lock, flags);

	memset(&vb->tally, 0, sizeof(vb->tally));
	bb_tell_page(vb, vb->inflate_vq, newpage);
	bb_tell_page(vb, vb->deflate_vq, page);
	mutex_unlock(&vb->lock);

	balloon_page_finalize(page);
	put_page(page);		/* the balloon's reference */
	return MIGRATEPAGE_SUCCESS;
}
#endif

/* ---- probe and remove --------------------------------------------------------------------- */

/* The inflate and deflate queues' interrupt: a fill, leak or migration is waiting for buffers. */
static void bb_ack(struct virtqueue *vq)
{
	struct ballast_balloon *vb = vq->vdev->priv;

	wake_up(&vb->acked);
}

static int bb_init_vqs(struct ballast_balloon *vb)
{
	vq_callback_t *callbacks[BB_VQ_MAX] = { bb_ack, bb_ack, bb_stats_request };
	static const char * const names[BB_VQ_MAX] = { "inflate", "deflate", "stats" };
	bool stats = virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_STATS_VQ);
	struct virtqueue *vqs[BB_VQ_MAX];
	int err;

	err = virtio_find_vqs(vb->vdev, stats ? BB_VQ_MAX : BB_VQ_STATS, vqs, callbacks, names, NULL);
	if (err)
		return err;
	vb->inflate_vq = vqs[BB_VQ_INFLATE];
	vb->deflate_vq = vqs[BB_VQ_DEFLATE];
	if (stats) {
		vb->stats_vq = vqs[BB_VQ_STATS];
		err = bb_stats_prime(vb);
		if (err) {
			dev_warn(&vb->vdev->dev, "cannot prime the stats queue (%d)\n", err);
			vb->vdev->config->del_vqs(vb->vdev);
			return err;
		}
	}
	return 0;
}

static int bb_validate(struct virtio_device *vdev)
{
	/* Every buffer is a single entry: indirect descriptors would only cost an allocation. */
	__virtio_clear_bit(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	/* SG entries are guest-physical page runs, not DMA mappings (the stock driver clears it too). */
	__virtio_clear_bit(vdev, VIRTIO_F_ACCESS_PLATFORM);
	return 0;
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
	init_waitqueue_head(&vb->acked);
	mutex_init(&vb->lock);
	balloon_devinfo_init(&vb->b_dev_info);
#ifdef CONFIG_BALLOON_COMPACTION
	vb->b_dev_info.migratepage = bb_migratepage;
#endif
	vb->sg = sg_bit >= 0 && virtio_has_feature(vdev, sg_bit);
	vb->deflate_on_oom = virtio_has_feature(vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM);

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

	virtio_device_ready(vdev);
	dev_info(&vdev->dev, "%s balloon: sg_bit=%d ring=%u alloc_order=%u batch_pages=%lu deflate_on_oom=%d\n",
		 vb->sg ? "SG" : "PFN", sg_bit, virtqueue_get_vring_size(vb->inflate_vq),
		 alloc_order, batch_pages, vb->deflate_on_oom);
	if (bb_towards_target(vb))
		bb_config_changed(vdev);
	return 0;

out_del_vqs:
	vdev->config->del_vqs(vdev);
out_free:
	kfree(vb);
	return err;
}

static void bb_remove(struct virtio_device *vdev)
{
	struct ballast_balloon *vb = vdev->priv;
	unsigned int frames = vb->num_pages;

	if (vb->deflate_on_oom)
		unregister_oom_notifier(&vb->oom_nb);
	spin_lock_irq(&vb->stop_lock);
	vb->stop_update = true;
	spin_unlock_irq(&vb->stop_lock);
	cancel_work_sync(&vb->size_work);
	cancel_work_sync(&vb->stats_work);

	/* Give every page back (pages isolated by compaction come back to the list, then go too). */
	while (vb->num_pages) {
		bb_leak(vb, vb->num_pages, false);
		cond_resched();
	}
	bb_update_actual(vb);
	dev_info(&vdev->dev, "removed: gave back %u frames; balloon %u frames, list %s, %lu isolated\n",
		 frames, vb->num_pages, list_empty(&vb->b_dev_info.pages) ? "empty" : "NOT EMPTY",
		 vb->b_dev_info.isolated_pages);

	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	bb_free_bitmap(vb);
	kfree(vb);
}

/* ---- module ------------------------------------------------------------------------------- */

static unsigned int bb_features[] = {
	VIRTIO_BALLOON_F_MUST_TELL_HOST,
	VIRTIO_BALLOON_F_STATS_VQ,
	VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
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
};

static int __init bb_init(void)
{
	if (sg_bit != -1 && (sg_bit < BB_SG_BIT_MIN || sg_bit > BB_SG_BIT_MAX)) {
		pr_err("ballast_balloon: sg_bit=%d: must be %d-%d, or -1 for no SG\n",
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
MODULE_DESCRIPTION("Ballast virtio balloon: PFN arrays, or scatter-gather page runs (Ballast's SG feature)");
MODULE_LICENSE("GPL");
