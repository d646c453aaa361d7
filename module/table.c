// SPDX-License-Identifier: GPL-2.0
/*
 * table backend, the guest's side: one state byte per page frame in a region
 * the host reads, laid out as include/gph_abi.h says. The protocol on each
 * byte is in table_proto.h.
 *
 * The host is chosen by host=:
 * - hostd: gph-hostd on the QEMU/KVM host. The region is the memory of an
 *   ivshmem-plain PCI device (1af4:1110), BAR2 mapped write-back; on the
 *   host it is a file that gph-hostd maps beside the guest's RAM file.
 * - emul: a thread in this guest plays the host (emul.c), for testing.
 * - auto (the default): hostd if there is an ivshmem-plain device. Without
 *   one the backend refuses to start: hints that no one reads return
 *   nothing, and a silent emul would hide that.
 */
#define pr_fmt(fmt) "gph: table: " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nmi.h>
#include <linux/page_states.h>
#include <linux/pci.h>
#include <linux/reboot.h>
#include <linux/sched/clock.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include "gph.h"
#include "gph_trace.h"
#include "table.h"

struct gph_table gph_table;
EXPORT_SYMBOL_IF_KUNIT(gph_table);

/* --- host= -------------------------------------------------------------- */

enum gph_table_host { GPH_HOST_AUTO, GPH_HOST_HOSTD, GPH_HOST_EMUL };
static const char *const gph_table_host_names[] = {
	[GPH_HOST_AUTO] = "auto",
	[GPH_HOST_HOSTD] = "hostd",
	[GPH_HOST_EMUL] = "emul",
};
static int host_mode = GPH_HOST_AUTO;

static int gph_table_host_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(gph_table_host_names, val);

	if (i < 0) {
		pr_err("host=%.24s: want auto, hostd or emul\n", val);
		return -EINVAL;
	}
	host_mode = i;
	return 0;
}

static int gph_table_host_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", gph_table_host_names[host_mode]);
}

static const struct kernel_param_ops gph_table_host_ops = {
	.set = gph_table_host_set,
	.get = gph_table_host_get,
};
module_param_cb(host, &gph_table_host_ops, &host_mode, 0444);
MODULE_PARM_DESC(host, "table backend: who reads the table: auto (hostd when an ivshmem-plain device 1af4:1110 is present, else refuse), hostd, emul (an emulated host inside this guest, for testing)");

/* --- the guest's side of a transition ------------------------------------ */

void gph_table_refused(unsigned long pfn, enum gph_state new)
{
	WARN_ONCE(1, "gph: frame 0x%lx: guest may not move %s -> %s\n", pfn,
		  gph_state_name(READ_ONCE(*gph_table_byte(pfn))), gph_state_name(new));
}

/*
 * printk_deferred(), which modules cannot call: the buddy hooks wait for the
 * host under zone->lock, and a console driver may allocate.
 */
static __printf(1, 2) void gph_table_warn_deferred(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintk_emit(0, LOGLEVEL_SCHED, NULL, fmt, args);
	va_end(args);
}

/*
 * The guest found a frame BUSY. gph-hostd holds frames BUSY only while QEMU
 * has the vCPUs stopped, so a running guest sees BUSY only if the host
 * agent broke off (killed, then the VM continued by hand) or misbehaves:
 * say so after a second, once a second, and keep the watchdogs quiet, for
 * the wait is the host's, not a kernel lockup.
 */
void gph_table_busy_wait(const unsigned char *byte, u64 *since)
{
	u64 now = local_clock();

	cpu_relax();
	if (!*since) {
		*since = now;
		return;
	}
	if (now - *since < NSEC_PER_SEC)
		return;
	gph_table_warn_deferred(KERN_WARNING pr_fmt("frame %#lx: the host has held it BUSY for over a second; is %s alive?\n"),
				(unsigned long)(byte - gph_table.states),
				gph_table.pdev ? "gph-hostd" : "the emulated host");
	*since = now;
	touch_nmi_watchdog();
}
EXPORT_SYMBOL_IF_KUNIT(gph_table_busy_wait);

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

/*
 * volatile.c made the @nr frames of a folio from @pfn volatile: tell the
 * host where to look. "max" chaos discards the folio's last frame at once
 * and leaves the others to the emulated host's next second: a large folio
 * is then partly discarded for a while, with its first frame intact, which
 * a make-stable that looked at the first frame only would take for usable.
 */
void gph_table_volatile(unsigned long pfn, unsigned long nr)
{
	unsigned long f, end = pfn + nr;

	if (gph_backend != &gph_table_backend)
		return;
	/* One bit per group of frames: mark each group the folio touches once. */
	for (f = pfn; f < end; f = (f | ((1ul << GPH_TABLE_GROUP_SHIFT) - 1)) + 1)
		gph_proto_summary_mark(gph_table.summary, f);
	if (!gph_table.pdev)
		gph_emul_volatile(pfn + nr - 1);	/* chaos: maybe at once */
}

/* --- the region: ivshmem for hostd, vmalloc for emul ---------------------- */

static int gph_table_probe(void)
{
	struct pci_dev *pdev = NULL;

	if (host_mode != GPH_HOST_EMUL)
		pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110, NULL);
	if (pdev) {
		gph_table.pdev = pdev;	/* its reference is ours until stop */
		return 0;
	}
	if (host_mode == GPH_HOST_EMUL)
		return 0;
	pr_err("no host: no ivshmem-plain device (1af4:1110); load with host=emul to test without one\n");
	return -ENODEV;
}

static void gph_table_put_pdev(void)
{
	pci_dev_put(gph_table.pdev);
	gph_table.pdev = NULL;
}

#ifdef CONFIG_PCI
static void *gph_table_map_ivshmem(const struct gph_table_layout *l)
{
	struct pci_dev *pdev = gph_table.pdev;
	resource_size_t len = pci_resource_len(pdev, 2);
	void *mem;
	int err;

	if (len < l->table_size) {
		pr_err("ivshmem %s: %llu KiB, but %llu frames need %llu KiB: give its memory-backend-file size=%lluK or more\n",
		       pci_name(pdev), (u64)len >> 10, l->nr_frames,
		       DIV_ROUND_UP(l->table_size, 1024), (u64)roundup_pow_of_two(l->table_size) >> 10);
		return ERR_PTR(-ENOSPC);
	}
	err = pci_enable_device_mem(pdev);
	if (err)
		return ERR_PTR(err);
	err = pci_request_region(pdev, 2, "gph");
	if (err) {
		pr_err("ivshmem %s: BAR2 is taken (is another driver using the device?)\n",
		       pci_name(pdev));
		goto disable;
	}
	mem = memremap(pci_resource_start(pdev, 2), l->table_size, MEMREMAP_WB);
	if (!mem) {
		err = -ENOMEM;
		goto release;
	}
	gph_table.region_size = len;
	return mem;
release:
	pci_release_region(pdev, 2);
disable:
	pci_disable_device(pdev);
	return ERR_PTR(err);
}

static void gph_table_unmap_ivshmem(void)
{
	memunmap(gph_table.hdr);
	pci_release_region(gph_table.pdev, 2);
	pci_disable_device(gph_table.pdev);
}
#else	/* pci_get_device() finds none */
static void *gph_table_map_ivshmem(const struct gph_table_layout *l)
{
	return ERR_PTR(-ENODEV);
}

static void gph_table_unmap_ivshmem(void)
{
}
#endif

static void gph_table_free(void)
{
	gph_volatile_bytes = NULL;
	gph_volatile_frames = 0;
	if (gph_table.pdev)
		gph_table_unmap_ivshmem();
	else
		vfree(gph_table.hdr);
	gph_table.hdr = NULL;
	gph_table.summary = NULL;
	gph_table.states = NULL;
	gph_table.nr_frames = 0;
}

/* --- the guest's heartbeat and the host's counters ------------------------ */

#define GPH_TABLE_BEAT_MS	1000

static void gph_table_beat_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gph_table_beat, gph_table_beat_fn);
static u64 gph_table_host_dropped;	/* the header's, as last seen */

/*
 * The beat tells gph-hostd that a live kernel keeps this table (it trusts a
 * table only after seeing the beat move since a reset). It also brings the
 * host's drop counter into our statistics: a number from the host, so only
 * its increases count, in steps no larger than the table.
 */
static void gph_table_beat_fn(struct work_struct *work)
{
	struct gph_table_header *hdr = gph_table.hdr;
	u64 dropped = READ_ONCE(hdr->host_dropped);

	WRITE_ONCE(hdr->guest_beat, READ_ONCE(hdr->guest_beat) + 1);
	if (gph_table.pdev && dropped > gph_table_host_dropped &&
	    dropped - gph_table_host_dropped <= gph_table.nr_frames)
		gph_host_dropped(dropped - gph_table_host_dropped);
	gph_table_host_dropped = dropped;
	schedule_delayed_work(&gph_table_beat, msecs_to_jiffies(GPH_TABLE_BEAT_MS));
}

/*
 * A reboot, and kexec (kernel_kexec() runs the reboot notifiers too), hands
 * the frames to a kernel that does not know these states: tell the host
 * they are no longer current before it happens. gph-hostd also distrusts a
 * table whose beat stops; a crash kexec (kdump) runs only here, in memory
 * that was never free.
 */
static int gph_table_reboot(struct notifier_block *nb, unsigned long action, void *data)
{
	WRITE_ONCE(gph_table.hdr->guest_flags, 0);
	return NOTIFY_DONE;
}

static struct notifier_block gph_table_reboot_nb = {
	.notifier_call = gph_table_reboot,
};

/* --- start and stop -------------------------------------------------------- */

static int gph_table_start(unsigned long nr_frames)
{
	struct gph_table_header *hdr;
	struct gph_table_layout l;
	void *mem;
	int err;

	if (gph_table.pdev && page_poisoning_enabled_static()) {
		/* A frame the host dropped reads back as zeroes, not as poison. */
		pr_err("host: hostd refused with page_poison=1: dropped free pages come back as zeroes\n");
		err = -EINVAL;
		goto put;
	}
	gph_table_layout_for(nr_frames, &l);
	mem = gph_table.pdev ? gph_table_map_ivshmem(&l) : vzalloc(l.table_size);
	if (IS_ERR_OR_NULL(mem)) {
		err = mem ? PTR_ERR(mem) : -ENOMEM;
		goto put;
	}
	hdr = mem;
	/*
	 * The region outlives a reset, and a host may read it at any time: say
	 * it is not current before rewriting it. The host acts on bytes only
	 * while the vCPUs are stopped, and only for a generation it saw
	 * published with a beat after it last saw a reset.
	 */
	WRITE_ONCE(hdr->guest_flags, 0);
	smp_mb();
	memset(mem + l.summary_offset, 0, l.table_size - l.summary_offset);
	hdr->magic = GPH_TABLE_MAGIC;
	hdr->version = GPH_TABLE_VERSION;
	hdr->page_shift = PAGE_SHIFT;
	hdr->group_shift = GPH_TABLE_GROUP_SHIFT;
	hdr->nr_frames = nr_frames;
	hdr->summary_offset = l.summary_offset;
	hdr->states_offset = l.states_offset;
	hdr->table_size = l.table_size;
	hdr->generation++;
	gph_table_host_dropped = READ_ONCE(hdr->host_dropped);
	gph_table.hdr = hdr;
	gph_table.summary = mem + l.summary_offset;
	gph_table.states = mem + l.states_offset;	/* page-aligned: words for set8 */
	gph_table.nr_frames = nr_frames;
	/* Publish the header before the host may look at the states. */
	smp_store_release(&hdr->guest_flags, GPH_GUEST_ATTACHED);
	if (gph_table.pdev) {
		register_reboot_notifier(&gph_table_reboot_nb);
		pr_info("host: hostd (ivshmem %s, %llu KiB)\n", pci_name(gph_table.pdev),
			(u64)gph_table.region_size >> 10);
	} else {
		err = gph_emul_start();
		if (err) {
			gph_table_free();
			return err;
		}
		pr_info("host: emul (in-guest, for testing)\n");
	}
	schedule_delayed_work(&gph_table_beat, 0);
	/* The shared state bytes are volatile.c's bytes too. */
	gph_volatile_bytes = gph_table.states;
	gph_volatile_frames = nr_frames;
	return 0;
put:
	gph_table_put_pdev();
	return err;
}

static void gph_table_set_enabled(bool enabled)
{
	u32 flags = GPH_GUEST_ATTACHED | (enabled ? GPH_GUEST_ENABLED : 0);

	smp_store_release(&gph_table.hdr->guest_flags, flags);
}

static void gph_table_stop(void)
{
	cancel_delayed_work_sync(&gph_table_beat);
	if (!gph_table.pdev)
		gph_emul_stop();
	else
		unregister_reboot_notifier(&gph_table_reboot_nb);
	WRITE_ONCE(gph_table.hdr->guest_flags, 0);
	gph_table_free();
	gph_table_put_pdev();
}

static const char *gph_table_host(void)
{
	return gph_table.pdev ? "hostd" : "emul";
}

const struct gph_backend gph_table_backend = {
	.name = "table",
	.host = gph_table_host,
	.probe = gph_table_probe,
	.start = gph_table_start,
	.stop = gph_table_stop,
	.set_state = gph_table_set_state,
	.get_state = gph_table_get_state,
	.set_enabled = gph_table_set_enabled,
	.attrs = &gph_emul_group,
};
