// SPDX-License-Identifier: GPL-2.0
/*
 * emul: a kernel thread in this guest that plays the table backend's host,
 * for testing and for machines with no host agent (host=emul). It "drops"
 * UNUSED frames by filling them with a poison pattern, so any use of a
 * page's old content after it was freed reads poison, and "discards"
 * VOLATILE frames the same way (chaos mode), optionally taking them out of
 * the direct map as well. It moves bytes with the host's side of
 * table_proto.h, as gph-hostd does.
 */
#define pr_fmt(fmt) "gph: emul: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poison.h>
#include <linux/seq_file.h>
#include <linux/wait.h>
#include "gph.h"
#include "gph_trace.h"
#include "table.h"

#define GPH_EMUL_POISON		0x6b	/* as slab's POISON_FREE */
#define GPH_EMUL_TICK_MS	10

#define GPH_EMUL_RATE_MAX	100000000UL

#define GPH_EMUL_DISCARD_POISON	0x5a	/* what a discarded page reads as */
#define GPH_EMUL_DISCARD_MAX	ULONG_MAX /* "max": at once, when it goes volatile */

static unsigned long emul_rate;		/* UNUSED frames dropped per second */
static unsigned long emul_discard_rate;	/* VOLATILE frames discarded per second */
static bool emul_unmap;			/* discarded frames leave the direct map */
/* An idle emulated host (both rates 0) sleeps here until a rate is set. */
static DECLARE_WAIT_QUEUE_HEAD(gph_emul_wait);

static void gph_emul_set_rate(unsigned long *rate, unsigned long val)
{
	WRITE_ONCE(*rate, val);
	wake_up(&gph_emul_wait);
}

static bool gph_emul_busy(void)
{
	return READ_ONCE(emul_rate) || READ_ONCE(emul_discard_rate);
}

static int gph_emul_rate_parse(const char *val, unsigned long *rate)
{
	if (kstrtoul(val, 0, rate) || *rate > GPH_EMUL_RATE_MAX) {
		pr_err_ratelimited("emul_rate=%.24s: want 0..%lu frames per second\n", val,
				   GPH_EMUL_RATE_MAX);
		return -EINVAL;
	}
	return 0;
}

static int gph_emul_rate_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned long rate;
	int err = gph_emul_rate_parse(val, &rate);

	if (!err)
		gph_emul_set_rate(&emul_rate, rate);
	return err;
}

static const struct kernel_param_ops gph_emul_rate_param_ops = {
	.set = gph_emul_rate_param_set,
	.get = param_get_ulong,
};
module_param_cb(emul_rate, &gph_emul_rate_param_ops, &emul_rate, 0444);
MODULE_PARM_DESC(emul_rate, "table backend: frames per second the emulated host drops, 0..100000000 (0: idle; also /sys/kernel/mm/gph/emul_rate)");

static int gph_emul_discard_parse(const char *val, unsigned long *rate)
{
	if (sysfs_streq(val, "max")) {
		*rate = GPH_EMUL_DISCARD_MAX;
		return 0;
	}
	if (kstrtoul(val, 0, rate) || *rate > GPH_EMUL_RATE_MAX) {
		pr_err_ratelimited("emul_discard_rate=%.24s: want 0..%lu frames per second, or max\n",
				   val, GPH_EMUL_RATE_MAX);
		return -EINVAL;
	}
	return 0;
}

static int gph_emul_discard_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned long rate;
	int err = gph_emul_discard_parse(val, &rate);

	if (!err)
		gph_emul_set_rate(&emul_discard_rate, rate);
	return err;
}

static int gph_emul_discard_show(char *buf)
{
	unsigned long rate = READ_ONCE(emul_discard_rate);

	if (rate == GPH_EMUL_DISCARD_MAX)
		return sysfs_emit(buf, "max\n");
	return sysfs_emit(buf, "%lu\n", rate);
}

static int gph_emul_discard_param_get(char *buf, const struct kernel_param *kp)
{
	return gph_emul_discard_show(buf);
}

static const struct kernel_param_ops gph_emul_discard_param_ops = {
	.set = gph_emul_discard_param_set,
	.get = gph_emul_discard_param_get,
};
module_param_cb(emul_discard_rate, &gph_emul_discard_param_ops, &emul_discard_rate, 0444);
MODULE_PARM_DESC(emul_discard_rate, "table backend: VOLATILE frames per second the emulated host discards, 0..100000000, or max: a folio's last frame the moment it goes volatile, the rest within a second (chaos; also sysfs)");

/*
 * Unmapping needs debug_pagealloc: it maps the direct map with 4K pages. And
 * it cannot go with init_on_free or page poisoning: freeing a discarded
 * folio writes to its frame (free_pages_prepare) before the free hook maps
 * it back, so the kernel would fault on its own write.
 */
static int gph_emul_unmap_check(bool on)
{
	if (!on)
		return 0;
	if (!(IS_ENABLED(CONFIG_DEBUG_PAGEALLOC) && debug_pagealloc_enabled())) {
		pr_err_ratelimited("emul_unmap: needs a kernel with CONFIG_DEBUG_PAGEALLOC booted with debug_pagealloc=on\n");
		return -EINVAL;
	}
	if (want_init_on_free() || page_poisoning_enabled_static()) {
		pr_err_ratelimited("emul_unmap: refused with %s: freeing a discarded frame writes to it before it is mapped again\n",
				   want_init_on_free() ? "init_on_free=1" : "page_poison=1");
		return -EINVAL;
	}
	return 0;
}

/*
 * Take a frame out of the kernel's direct map or put it back, as
 * debug_pagealloc does with free pages: a read that skipped make-stable
 * then faults at once. The page is mapped again on its next allocation too.
 */
static void gph_emul_direct_map(struct page *page, bool map)
{
	if (IS_ENABLED(CONFIG_DEBUG_PAGEALLOC) && debug_pagealloc_enabled_static())
		__kernel_map_pages(page, 1, map);
}

/* emul_unmap, as a module parameter and in sysfs. */
static int gph_emul_unmap_param_set(const char *val, const struct kernel_param *kp)
{
	bool on;

	if (kstrtobool(val, &on)) {
		pr_err_ratelimited("emul_unmap=%.24s: want 0 or 1\n", val);
		return -EINVAL;
	}
	if (gph_emul_unmap_check(on))
		return -EINVAL;
	WRITE_ONCE(emul_unmap, on);
	return 0;
}

static const struct kernel_param_ops gph_emul_unmap_param_ops = {
	.set = gph_emul_unmap_param_set,
	.get = param_get_bool,
};
module_param_cb(emul_unmap, &gph_emul_unmap_param_ops, &emul_unmap, 0444);
MODULE_PARM_DESC(emul_unmap, "table backend: take discarded frames out of the kernel direct map, so a read that skipped make-stable faults at once (needs debug_pagealloc=on; refused with init_on_free=1 or page_poison=1; also sysfs)");

static struct task_struct *gph_emul_task;	/* set while emul is the host */
static int gph_emul_pattern;		/* what a dropped page is filled with */
static unsigned long gph_emul_cursor;
/*
 * What the host got back, pass by pass over the table: a test compares the
 * frames dropped in one whole pass with the free memory the self-check
 * counts (debugfs gph/emul).
 */
static unsigned long gph_emul_passes, gph_emul_last_pass_dropped;

/*
 * Host side of a drop: take the frame, destroy its content, give it back.
 * Between the two exchanges the guest cannot allocate the frame, and a guest
 * that tries spins: so the window runs with interrupts off, lest an
 * interrupt on this CPU allocate the frame and spin on it forever.
 */
static bool gph_emul_drop(unsigned long pfn)
{
	u8 *byte = gph_table_byte(pfn);
	unsigned long flags;
	bool dropped = false;

	if (gph_emul_pattern < 0 ||
	    !(smp_load_acquire(&gph_table.hdr->guest_flags) & GPH_GUEST_ENABLED) ||
	    READ_ONCE(*byte) != GPH_UNUSED)
		return false;
	local_irq_save(flags);
	gph_count_backend_ops(1);
	if (gph_proto_host_take(byte, GPH_UNUSED)) {
		memset(page_address(pfn_to_page(pfn)), gph_emul_pattern, PAGE_SIZE);
		gph_count_backend_ops(1);
		dropped = !WARN_ON_ONCE(!gph_proto_host_release(byte, GPH_UNUSED));
	}
	local_irq_restore(flags);
	if (dropped)
		gph_trace(gph_host, pfn, 1, GPH_UNUSED, GPH_UNUSED);
	return dropped;
}

/*
 * Host side of a discard: take the VOLATILE frame, destroy its content (and
 * unmap it), release it as DISCARDED. Interrupts off for the BUSY window as
 * in a drop. Also called from the guest's make-volatile path in "max" mode,
 * so any context.
 */
static atomic_long_t gph_emul_discards;	/* published in the header */

static bool gph_emul_discard(unsigned long pfn)
{
	u8 *byte = gph_table_byte(pfn);
	unsigned long flags;
	bool discarded = false;

	if (!(smp_load_acquire(&gph_table.hdr->guest_flags) & GPH_GUEST_ENABLED) ||
	    READ_ONCE(*byte) != GPH_VOLATILE)
		return false;
	local_irq_save(flags);
	gph_count_backend_ops(1);
	if (gph_proto_host_take(byte, GPH_VOLATILE)) {
		struct page *page = pfn_to_page(pfn);

		memset(page_address(page), GPH_EMUL_DISCARD_POISON, PAGE_SIZE);
		if (READ_ONCE(emul_unmap))
			gph_emul_direct_map(page, false);
		gph_count_backend_ops(1);
		discarded = !WARN_ON_ONCE(!gph_proto_host_release(byte, GPH_VOLATILE));
	}
	local_irq_restore(flags);
	if (discarded) {
		atomic_long_inc(&gph_emul_discards);
		gph_moved(pfn, 1, GPH_VOLATILE, GPH_DISCARDED, GPH_REASON_HOST);
		gph_trace(gph_host, pfn, 1, GPH_VOLATILE, GPH_DISCARDED);
	}
	return discarded;
}

/* A frame the host discarded is the guest's again: back into the direct map. */
void gph_emul_map_back(unsigned long pfn)
{
	if (gph_emul_task)
		gph_emul_direct_map(pfn_to_page(pfn), true);
}

/* The guest made @pfn volatile: in "max" chaos the host takes it at once. */
void gph_emul_volatile(unsigned long pfn)
{
	if (READ_ONCE(emul_discard_rate) == GPH_EMUL_DISCARD_MAX)
		gph_emul_discard(pfn);
}

static int gph_emul_thread(void *unused)
{
	unsigned long budget, dbudget, scanned, dropped, discarded, rate;
	unsigned long pass_dropped = 0;
	unsigned int tick = 0;

	while (!kthread_should_stop()) {
		budget = DIV_ROUND_UP(READ_ONCE(emul_rate) * GPH_EMUL_TICK_MS, 1000);
		rate = READ_ONCE(emul_discard_rate);
		/*
		 * "max" is handled when a frame goes volatile; once a second,
		 * sweep up any that went volatile before it was set.
		 */
		if (rate == GPH_EMUL_DISCARD_MAX)
			dbudget = ++tick % (1000 / GPH_EMUL_TICK_MS) ? 0 : ULONG_MAX;
		else
			dbudget = DIV_ROUND_UP(rate * GPH_EMUL_TICK_MS, 1000);
		dropped = 0;
		discarded = 0;
		/* Scan at most one full pass per tick for the budgets. */
		for (scanned = 0; (dropped < budget || discarded < dbudget) &&
		     scanned < gph_table.nr_frames; scanned++) {
			if (++gph_emul_cursor >= gph_table.nr_frames) {
				gph_emul_cursor = 0;
				WRITE_ONCE(gph_emul_last_pass_dropped, pass_dropped);
				smp_wmb();	/* pairs with gph_emul_show() */
				WRITE_ONCE(gph_emul_passes, gph_emul_passes + 1);
				pass_dropped = 0;
			}
			if (dropped < budget && gph_emul_drop(gph_emul_cursor)) {
				dropped++;
				pass_dropped++;
			} else if (discarded < dbudget &&
				 gph_emul_discard(gph_emul_cursor))
				discarded++;
			if (!(scanned & 1023))
				cond_resched();
		}
		/* Ours and those of "max" mode, made on any CPU. */
		WRITE_ONCE(gph_table.hdr->host_discarded,
			   atomic_long_read(&gph_emul_discards));
		if (dropped) {
			gph_host_dropped(dropped);
			/* The host's own counter in the shared header (one writer). */
			WRITE_ONCE(gph_table.hdr->host_dropped,
				   gph_table.hdr->host_dropped + dropped);
		}
		/* Idle, a real host's bench setting: no wakeups 100 times a second. */
		if (gph_emul_busy())
			msleep_interruptible(GPH_EMUL_TICK_MS);
		else
			wait_event_interruptible(gph_emul_wait,
						 gph_emul_busy() || kthread_should_stop());
	}
	return 0;
}

int gph_emul_start(void)
{
	/*
	 * Free pages must look as the allocator expects: zero under
	 * init_on_free (as a real host hands them back), PAGE_POISON under
	 * page_poison; otherwise poison that no data resembles. With
	 * debug_pagealloc free pages are not mapped: the emul host stays idle.
	 */
	if (debug_pagealloc_enabled_static()) {
		pr_info("debug_pagealloc is on: the emulated host will not drop pages\n");
		gph_emul_pattern = -1;
	} else if (want_init_on_free()) {
		gph_emul_pattern = 0;
	} else if (page_poisoning_enabled_static()) {
		gph_emul_pattern = PAGE_POISON;
	} else {
		gph_emul_pattern = GPH_EMUL_POISON;
	}
	gph_emul_task = kthread_run(gph_emul_thread, NULL, "gph_emul");
	if (IS_ERR(gph_emul_task)) {
		int err = PTR_ERR(gph_emul_task);

		gph_emul_task = NULL;
		return err;
	}
	WRITE_ONCE(gph_table.hdr->host_flags, GPH_HOST_ATTACHED);
	return 0;
}

void gph_emul_stop(void)
{
	if (gph_emul_task)
		kthread_stop(gph_emul_task);
	gph_emul_task = NULL;
}

/*
 * debugfs gph/emul: whole passes over the table and the UNUSED frames the
 * last one dropped. A pass at emul_rate 100000000 takes one tick per pass
 * (bounded by the table), so the last pass's drops are the free memory of
 * that moment, as the host sees it.
 */
static int gph_emul_show(struct seq_file *m, void *v)
{
	unsigned long passes, dropped;

	if (!gph_emul_task)
		return -ENODEV;
	passes = READ_ONCE(gph_emul_passes);
	smp_rmb();	/* a pass's drops are at least as new as its number */
	dropped = READ_ONCE(gph_emul_last_pass_dropped);
	seq_printf(m, "passes %lu\nlast_pass_dropped %lu\n", passes, dropped);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gph_emul);

void gph_emul_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("emul", 0400, dir, NULL, &gph_emul_fops);
}

/* /sys/kernel/mm/gph/emul_rate */
static ssize_t emul_rate_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(emul_rate));
}

static ssize_t emul_rate_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	unsigned long rate;

	if (gph_emul_rate_parse(buf, &rate))
		return -EINVAL;
	gph_emul_set_rate(&emul_rate, rate);
	return count;
}
static struct kobj_attribute emul_rate_attr = __ATTR_RW(emul_rate);

static ssize_t emul_discard_rate_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return gph_emul_discard_show(buf);
}

static ssize_t emul_discard_rate_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned long rate;

	if (gph_emul_discard_parse(buf, &rate))
		return -EINVAL;
	gph_emul_set_rate(&emul_discard_rate, rate);
	return count;
}
static struct kobj_attribute emul_discard_rate_attr = __ATTR_RW(emul_discard_rate);

static ssize_t emul_unmap_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(emul_unmap));
}

static ssize_t emul_unmap_store(struct kobject *kobj, struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	int err = gph_emul_unmap_param_set(buf, NULL);

	return err ? err : count;
}
static struct kobj_attribute emul_unmap_attr = __ATTR_RW(emul_unmap);

static struct attribute *gph_emul_attrs[] = {
	&emul_rate_attr.attr,
	&emul_discard_rate_attr.attr,
	&emul_unmap_attr.attr,
	NULL,
};
const struct attribute_group gph_emul_group = {
	.attrs = gph_emul_attrs,
};
