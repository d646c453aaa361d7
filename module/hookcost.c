// SPDX-License-Identifier: GPL-2.0
/*
 * Hook cost profiler (hookcost=1): sums, per hook, the calls, the frames
 * they covered and the cycles spent in them, and shows the table in
 * /sys/kernel/debug/gph/hookcost. make bench prints it for its workloads.
 */
#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "hookcost.h"

bool gph_hookcost_on;
module_param_named(hookcost, gph_hookcost_on, bool, 0444);
MODULE_PARM_DESC(hookcost, "time every hook call (default 0; /sys/kernel/debug/gph/hookcost shows the table; for benchmarks, it costs a few cycles per call)");

DEFINE_PER_CPU(struct gph_hookcost, gph_hookcost[GPH_NR_HOOKS]);

static const char *const gph_hook_names[GPH_NR_HOOKS] = {
	[GPH_HOOK_BUDDY_FREE] = "buddy_free",
	[GPH_HOOK_BUDDY_ALLOC] = "buddy_alloc",
	[GPH_HOOK_PAGE_FREE] = "page_free",
	[GPH_HOOK_FOLIO_IDLE] = "folio_idle",
	[GPH_HOOK_FOLIO_STABLE] = "folio_stable",
	[GPH_HOOK_FOLIO_DISCARDED] = "folio_discarded",
	[GPH_HOOK_DISCARD_FAULT] = "discard_fault",
};

/* The timer's own cost around a call that does nothing, subtracted per call. */
static u64 gph_timer_cycles;

static noinline void gph_cost_empty(void *arg, unsigned int n)
{
	barrier();
}

static void gph_hookcost_calibrate(void)
{
	u64 t0, d, best = U64_MAX;
	int i;

	for (i = 0; i < 1000; i++) {
		t0 = gph_cost_start();
		gph_cost_empty(&t0, i);
		d = get_cycles() - t0;
		best = min(best, d);
	}
	gph_timer_cycles = best;
}

static void gph_hookcost_sum(struct gph_hookcost sum[GPH_NR_HOOKS])
{
	int cpu, h;

	memset(sum, 0, sizeof(sum[0]) * GPH_NR_HOOKS);
	for_each_possible_cpu(cpu) {
		for (h = 0; h < GPH_NR_HOOKS; h++) {
			const struct gph_hookcost *c = per_cpu_ptr(&gph_hookcost[h], cpu);

			sum[h].calls += READ_ONCE(c->calls);
			sum[h].frames += READ_ONCE(c->frames);
			sum[h].cycles += READ_ONCE(c->cycles);
		}
	}
}

/* @num / @den with one decimal, as "12.3" */
static void gph_print_ratio(struct seq_file *m, u64 num, u64 den)
{
	u64 tenths = den ? div64_u64(num * 10 + den / 2, den) : 0;

	seq_printf(m, " %11llu.%llu", div_u64(tenths, 10), tenths % 10);
}

static int gph_hookcost_show(struct seq_file *m, void *v)
{
	struct gph_hookcost sum[GPH_NR_HOOKS];
	u64 own;
	int h;

	if (!gph_hookcost_on) {
		seq_puts(m, "# off: load gph.ko with hookcost=1 to time each hook\n");
		return 0;
	}
	gph_hookcost_sum(sum);
	seq_printf(m, "# cycles: get_cycles(), less %llu per call for the timer itself; under QEMU -icount shift=0, guest instructions\n",
		   gph_timer_cycles);
	seq_printf(m, "%-16s %12s %12s %13s %13s\n", "hook", "calls", "frames",
		   "cycles/call", "cycles/frame");
	for (h = 0; h < GPH_NR_HOOKS; h++) {
		own = sum[h].cycles - min(sum[h].cycles, sum[h].calls * gph_timer_cycles);
		seq_printf(m, "%-16s %12llu %12llu", gph_hook_names[h],
			   sum[h].calls, sum[h].frames);
		gph_print_ratio(m, own, sum[h].calls);
		gph_print_ratio(m, own, sum[h].frames);
		seq_putc(m, '\n');
	}
	return 0;
}

static int gph_hookcost_open(struct inode *inode, struct file *file)
{
	return single_open(file, gph_hookcost_show, NULL);
}

/*
 * "reset": zero the sums, to time the next workload alone (between
 * workloads: a hook running meanwhile may leave a torn call in the sums).
 */
static ssize_t gph_hookcost_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	char buf[8];
	int cpu, h;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (!sysfs_streq(buf, "reset"))
		return -EINVAL;
	for_each_possible_cpu(cpu)
		for (h = 0; h < GPH_NR_HOOKS; h++)
			memset(per_cpu_ptr(&gph_hookcost[h], cpu), 0,
			       sizeof(struct gph_hookcost));
	return len;
}

static const struct file_operations gph_hookcost_fops = {
	.owner = THIS_MODULE,
	.open = gph_hookcost_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = gph_hookcost_write,
};

void gph_hookcost_init(struct dentry *dir)
{
	if (gph_hookcost_on)
		gph_hookcost_calibrate();
	debugfs_create_file("hookcost", 0600, dir, NULL, &gph_hookcost_fops);
}
