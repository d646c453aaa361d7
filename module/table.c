// SPDX-License-Identifier: GPL-2.0
/*
 * table backend: one state byte per page frame in a table the host reads.
 *
 * The protocol on each byte is in table_proto.h.
 *
 * The host for now is emul: a kernel thread in this guest that plays the
 * host. It "drops" UNUSED frames by filling them with a poison pattern, so
 * any use of a page's old content after it was freed reads poison, and
 * "discards" VOLATILE frames the same way (chaos mode), optionally taking
 * them out of the direct map as well.
 */
#define pr_fmt(fmt) "gph: table: " fmt

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/page_states.h>
#include <linux/poison.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>
#include "gph.h"
#include "gph_trace.h"
#include "table.h"

struct gph_table gph_table;
EXPORT_SYMBOL_IF_KUNIT(gph_table);

static inline u8 *gph_table_byte(unsigned long pfn)
{
	return &gph_table.states[pfn];
}

void gph_table_refused(unsigned long pfn, enum gph_state new)
{
	WARN_ONCE(1, "gph: frame 0x%lx: guest may not move %s -> %s\n", pfn,
		  gph_state_name(READ_ONCE(*gph_table_byte(pfn))), gph_state_name(new));
}

static int gph_table_set_state(unsigned long pfn, enum gph_state new)
{
	return gph_table_guest_set_state(pfn, new);
}

static int gph_table_get_state(unsigned long pfn)
{
	if (pfn >= gph_table.nr_frames)
		return -EINVAL;
	return READ_ONCE(*gph_table_byte(pfn));
}

static void gph_table_free(void)
{
	gph_volatile_bytes = NULL;
	gph_volatile_frames = 0;
	vfree(gph_table.hdr);
	gph_table.hdr = NULL;
	gph_table.states = NULL;
	gph_table.nr_frames = 0;
}

static int gph_table_start(unsigned long nr_frames)
{
	struct gph_table_layout l;
	void *mem;
	int err;

	gph_table_layout_for(nr_frames, &l);
	mem = vzalloc(l.table_size);
	if (!mem)
		return -ENOMEM;
	gph_table.hdr = mem;
	gph_table.summary = mem + l.summary_offset;
	gph_table.states = mem + l.states_offset;
	gph_table.nr_frames = nr_frames;
	gph_table.hdr->magic = GPH_TABLE_MAGIC;
	gph_table.hdr->version = GPH_TABLE_VERSION;
	gph_table.hdr->page_shift = PAGE_SHIFT;
	gph_table.hdr->group_shift = GPH_TABLE_GROUP_SHIFT;
	gph_table.hdr->nr_frames = nr_frames;
	gph_table.hdr->summary_offset = l.summary_offset;
	gph_table.hdr->states_offset = l.states_offset;
	gph_table.hdr->table_size = l.table_size;
	gph_table.hdr->generation++;
	/* Publish the header before the host may look at the states. */
	smp_store_release(&gph_table.hdr->guest_flags, GPH_GUEST_ATTACHED);
	err = gph_emul_start();
	if (err) {
		gph_table_free();
		return err;
	}
	/* The shared state bytes are volatile.c's bytes too. */
	gph_volatile_bytes = gph_table.states;
	gph_volatile_frames = nr_frames;
	return 0;
}

static void gph_table_set_enabled(bool enabled)
{
	u32 flags = GPH_GUEST_ATTACHED | (enabled ? GPH_GUEST_ENABLED : 0);

	smp_store_release(&gph_table.hdr->guest_flags, flags);
}

static void gph_table_stop(void)
{
	gph_emul_stop();
	WRITE_ONCE(gph_table.hdr->guest_flags, 0);
	gph_table_free();
}

/* --- emul: the in-guest host ------------------------------------------- */

#define GPH_EMUL_POISON		0x6b	/* as slab's POISON_FREE */
#define GPH_EMUL_TICK_MS	10

#define GPH_EMUL_RATE_MAX	100000000UL

#define GPH_EMUL_DISCARD_POISON	0x5a	/* what a discarded page reads as */
#define GPH_EMUL_DISCARD_MAX	ULONG_MAX /* "max": at once, when it goes volatile */

static unsigned long emul_rate;		/* UNUSED frames dropped per second */
static unsigned long emul_discard_rate;	/* VOLATILE frames discarded per second */
static bool emul_unmap;			/* discarded frames leave the direct map */

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
		WRITE_ONCE(emul_rate, rate);
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
		WRITE_ONCE(emul_discard_rate, rate);
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
MODULE_PARM_DESC(emul_discard_rate, "table backend: VOLATILE frames per second the emulated host discards, 0..100000000, or max: each one the moment it goes volatile (chaos; also sysfs)");

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

static struct task_struct *gph_emul_task;
static int gph_emul_pattern;		/* what a dropped page is filled with */
static unsigned long gph_emul_cursor;

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
	if (gph_proto_move(byte, GPH_UNUSED, GPH_BUSY, GPH_ACTOR_HOST)) {
		memset(page_address(pfn_to_page(pfn)), gph_emul_pattern, PAGE_SIZE);
		gph_count_backend_ops(1);
		dropped = !WARN_ON_ONCE(!gph_proto_move(byte, GPH_BUSY, GPH_UNUSED,
							GPH_ACTOR_HOST));
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
	if (gph_proto_move(byte, GPH_VOLATILE, GPH_BUSY, GPH_ACTOR_HOST)) {
		struct page *page = pfn_to_page(pfn);

		memset(page_address(page), GPH_EMUL_DISCARD_POISON, PAGE_SIZE);
		if (READ_ONCE(emul_unmap))
			gph_emul_direct_map(page, false);
		gph_count_backend_ops(1);
		discarded = !WARN_ON_ONCE(!gph_proto_move(byte, GPH_BUSY, GPH_DISCARDED,
							  GPH_ACTOR_HOST));
	}
	local_irq_restore(flags);
	if (discarded) {
		atomic_long_inc(&gph_emul_discards);
		gph_moved(pfn, GPH_VOLATILE, GPH_DISCARDED, GPH_REASON_HOST);
		gph_trace(gph_host, pfn, 1, GPH_VOLATILE, GPH_DISCARDED);
	}
	return discarded;
}

/* A frame the host discarded is the guest's again: back into the direct map. */
void gph_emul_map_back(unsigned long pfn)
{
	if (gph_backend == &gph_table_backend)
		gph_emul_direct_map(pfn_to_page(pfn), true);
}

/* The guest made @pfn volatile: in "max" chaos the host takes it at once. */
void gph_emul_volatile(unsigned long pfn)
{
	if (gph_backend == &gph_table_backend &&
	    READ_ONCE(emul_discard_rate) == GPH_EMUL_DISCARD_MAX)
		gph_emul_discard(pfn);
}

static int gph_emul_thread(void *unused)
{
	unsigned long budget, dbudget, scanned, dropped, discarded, rate;
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
			if (++gph_emul_cursor >= gph_table.nr_frames)
				gph_emul_cursor = 0;
			if (dropped < budget && gph_emul_drop(gph_emul_cursor))
				dropped++;
			else if (discarded < dbudget &&
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
		msleep_interruptible(GPH_EMUL_TICK_MS);
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
	WRITE_ONCE(emul_rate, rate);
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
	WRITE_ONCE(emul_discard_rate, rate);
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

static struct attribute *gph_table_attrs[] = {
	&emul_rate_attr.attr,
	&emul_discard_rate_attr.attr,
	&emul_unmap_attr.attr,
	NULL,
};
static const struct attribute_group gph_table_group = {
	.attrs = gph_table_attrs,
};

static const char *gph_table_host(void)
{
	return "emul";	/* the in-guest emulated host */
}

const struct gph_backend gph_table_backend = {
	.name = "table",
	.host = gph_table_host,
	.start = gph_table_start,
	.stop = gph_table_stop,
	.set_state = gph_table_set_state,
	.get_state = gph_table_get_state,
	.set_enabled = gph_table_set_enabled,
	.attrs = &gph_table_group,
};
