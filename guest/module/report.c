// SPDX-License-Identifier: GPL-2.0
/*
 * Free page reporting (VIRTIO_BALLOON_F_PAGE_REPORTING, VIRTIO 1.2 5.5.6.x): the kernel's page
 * reporting core (mm/page_reporting.c) finds free blocks of at least pageblock order (2 MiB on
 * x86; module parameter report_order), takes them off the free lists and calls bb_report() with a
 * scatterlist of up to PAGE_REPORTING_CAPACITY of them. The driver adds that list to the reporting
 * queue as ONE buffer of device-writable entries (the host may discard the blocks' contents),
 * kicks, and waits for the device to return it: only then may the core give the blocks back to
 * the free lists, where the guest can reuse them at once. Nothing here touches the balloon: a
 * reported block is free guest memory, not balloon memory, and `actual` does not move.
 *
 * Page poison: with page poisoning or init_on_free the guest expects free pages to hold a known
 * pattern. core.c then negotiates VIRTIO_BALLOON_F_PAGE_POISON and writes the pattern to
 * poison_val, or turns reporting off if the device cannot be told (as Linux's driver does).
 */
#include <linux/virtio_config.h>

#include "ballast_balloon.h"

/* The reporting queue's interrupt: the device returned the report. */
void bb_report_ack(struct virtqueue *vq)
{
	struct ballast_balloon *vb = vq->vdev->priv;

	wake_up(&vb->reported);
}

/* One report: a buffer of @nents free blocks. The core sends one at a time, from a work item. */
static int bb_report(struct page_reporting_dev_info *pr, struct scatterlist *sg,
		     unsigned int nents)
{
	struct ballast_balloon *vb = container_of(pr, struct ballast_balloon, pr_info);
	struct virtqueue *vq = vb->reporting_vq;
	unsigned int len;
	int err;

	/* The queue holds nothing else and has at least PAGE_REPORTING_CAPACITY descriptors. */
	err = virtqueue_add_inbuf(vq, sg, nents, vb, GFP_NOWAIT | __GFP_NOWARN);
	if (unlikely(err)) {
		dev_err_ratelimited(&vb->vdev->dev, "reporting: cannot add %u blocks (%d)\n",
				    nents, err);
		return err;
	}
	virtqueue_kick(vq);
	wait_event(vb->reported, virtqueue_get_buf(vq, &len) || virtqueue_is_broken(vq));
	return virtqueue_is_broken(vq) ? -EIO : 0;
}

/*
 * Registers with the page reporting core (at probe and restore, with the device live). @order: the
 * smallest block reported, 0 for the core's default (pageblock order). Only one device in the
 * system may report: a second balloon driver gets -EBUSY and runs without reporting.
 */
int bb_report_start(struct ballast_balloon *vb, unsigned int order)
{
	int err;

	if (!vb->reporting_vq)
		return 0;
	if (virtqueue_get_vring_size(vb->reporting_vq) < PAGE_REPORTING_CAPACITY) {
		dev_warn(&vb->vdev->dev, "reporting queue holds %u entries, fewer than %u: no reporting\n",
			 virtqueue_get_vring_size(vb->reporting_vq), PAGE_REPORTING_CAPACITY);
		return 0;
	}
	vb->pr_info.report = bb_report;
	vb->pr_info.order = order;
	err = page_reporting_register(&vb->pr_info);
	if (err) {
		dev_warn(&vb->vdev->dev, "cannot register for free page reporting (%d): no reporting\n",
			 err);
		return err;
	}
	vb->reporting = true;
	return 0;
}

/* Unregisters (remove, freeze): the core finishes or abandons its current report first. */
void bb_report_stop(struct ballast_balloon *vb)
{
	if (!vb->reporting)
		return;
	page_reporting_unregister(&vb->pr_info);
	vb->reporting = false;
}
