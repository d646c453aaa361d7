// SPDX-License-Identifier: GPL-2.0
/*
 * essa backend (s390): page states go to the hypervisor with the ESSA
 * instruction (Extract and Set Storage Attributes), as the builtin CMMA of
 * arch/s390/mm/page-states.c does for free pages.
 *
 * There is no facility bit for CMMA: ESSA is probed by executing it under an
 * exception-table fixup. QEMU TCG has no ESSA at all (operation exception),
 * and the kernel may run with cmma=off; then this backend refuses to load.
 * The arch's alloc hint (arch_alloc_page) keeps running while gph is loaded,
 * so a page freed under either hint is stable once allocated.
 *
 * Volatile page cache, under z/VM only: z/VM discards clean volatile pages
 * instead of paging them and reports a later access (the discard fault).
 * KVM swaps volatile pages like any other, so they gain nothing there, and
 * it marks a discarded page only by "volatile, content zero", which it
 * loses when it maps the page (migration, dump-guest-memory): a zero page
 * would pass for content. An LPAR never discards. So under KVM and LPAR the
 * backend hints unused and stable pages only (sysfs host says which).
 * The guest keeps its own byte per frame around the machine's state
 * (essa_proto.h). Mapped folios are never volatile: mapping them under
 * z/VM needs hooks in GUP, COW and fork that we do not have.
 */
#define pr_fmt(fmt) "gph: essa: " fmt

#include <linux/errno.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/asm-extable.h>
#include <asm/setup.h>
#include "gph.h"
#include "essa_decode.h"
#include "table_proto.h"

static bool gph_essa_nodat;	/* the kernel marks non-DAT pages NODAT */
static unsigned long gph_essa_nr_frames;
static u8 *gph_essa_bytes;	/* the guest's byte per frame, for volatile.c */

static __always_inline unsigned long gph_essa(unsigned long paddr,
					      unsigned char orc)
{
	unsigned long r1;

	asm volatile(
		"	.insn	rrf,0xb9ab0000,%[r1],%[paddr],%[orc],0"
		: [r1] "=d" (r1)
		: [paddr] "d" (paddr), [orc] "i" (orc));
	return r1;
}

/*
 * Execute ESSA GET_STATE once on @paddr. Without CMMA it raises an
 * operation exception, which leaves the PSW after the instruction: the
 * fixup entry therefore names the instruction that follows ESSA, and skips
 * the store of success.
 */
static int gph_essa_try(unsigned long paddr, unsigned long *r1)
{
	int rc = -ENODEV;

	*r1 = 0;
	asm volatile(
		"	.insn	rrf,0xb9ab0000,%[r1],%[paddr],0,0\n"
		"0:	lhi	%[rc],0\n"
		"1:\n"
		EX_TABLE(0b, 1b)
		: [rc] "+d" (rc), [r1] "+d" (*r1)
		: [paddr] "d" (paddr)
		: "cc", "memory");
	return rc;
}

/*
 * The kernel's own CMMA (cmma_flag, not exported) shows in the states it
 * sets: a page just allocated is stable with NODAT when the kernel uses
 * NODAT (facility 147), and a page just freed is unused unless cmma=off.
 * A freed page may be reallocated before we look, so try a few.
 */
static int gph_essa_probe(void)
{
	unsigned long r1;
	struct page *page;
	bool cmma_on = false;
	int i;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	if (gph_essa_try(page_to_phys(page), &r1)) {
		__free_page(page);
		pr_err("no CMMA (ESSA) on this machine; use backend=table\n");
		return -ENODEV;
	}
	gph_essa_nodat = r1 & GPH_ESSA_NODAT;
	__free_page(page);
	for (i = 0; i < 4 && !cmma_on; i++) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
		preempt_disable();
		__free_page(page);
		cmma_on = gph_essa_decode(gph_essa(page_to_phys(page),
						   GPH_ESSA_GET_STATE)) == GPH_UNUSED;
		preempt_enable();
	}
	if (!cmma_on) {
		pr_err("the kernel runs with CMMA off (cmma=off?); use backend=table\n");
		return -ENODEV;
	}
	pr_info("ESSA available%s\n", gph_essa_nodat ? ", kernel uses NODAT" : "");
	return 0;
}

/* As arch_alloc_page(): NODAT only if the kernel marks DAT pages. */
static __always_inline unsigned long gph_essa_set_stable(unsigned long paddr)
{
	return gph_essa_nodat ? gph_essa(paddr, GPH_ESSA_SET_STABLE_NODAT) :
				gph_essa(paddr, GPH_ESSA_SET_STABLE);
}

#define gph_essa_proto_insn(pfn, orc)		gph_essa(PFN_PHYS(pfn), orc)
/*
 * backend_ops counts one operation per transition: ORC 3 and ORC 6 are
 * counted with the move they make. A take-back's second ESSA is not.
 */
#define gph_essa_proto_set_stable(pfn)		\
	({ gph_count_backend_ops(1); gph_essa_set_stable(PFN_PHYS(pfn)); })
#define gph_essa_proto_irq_save(flags)		local_irq_save(flags)
#define gph_essa_proto_irq_restore(flags)	local_irq_restore(flags)
#include "essa_proto.h"

static bool gph_essa_volatile_commit(u8 *byte, unsigned long pfn)
{
	return gph_essa_proto_commit(byte, pfn);
}

static int gph_essa_volatile_use(u8 *byte, unsigned long pfn)
{
	int old = gph_essa_proto_use(byte, pfn);

	if (old != GPH_ESSA_FOUND_LOST)
		return old;
	/* The host's move, seen only now (there is no table to show it). */
	gph_moved(pfn, 1, GPH_VOLATILE, GPH_DISCARDED, GPH_REASON_HOST);
	return GPH_DISCARDED;
}

static const char *gph_essa_host(void)
{
	return MACHINE_IS_VM ? "z/VM" : MACHINE_IS_KVM ? "KVM" :
	       MACHINE_IS_LPAR ? "LPAR" : "unknown";
}

static int gph_essa_start(unsigned long nr_frames)
{
	/* All GPH_STABLE (0): every frame is stable when a backend starts. */
	gph_essa_bytes = kvcalloc(nr_frames, 1, GFP_KERNEL);
	if (!gph_essa_bytes)
		return -ENOMEM;
	gph_essa_nr_frames = nr_frames;
	if (MACHINE_IS_VM) {
		gph_volatile_bytes = gph_essa_bytes;
		gph_volatile_frames = nr_frames;
	} else {
		pr_info("volatile pages only under z/VM, which discards them and reports it; on %s: unused and stable only\n",
			gph_essa_host());
	}
	return 0;
}

static void gph_essa_stop(void)
{
	gph_volatile_bytes = NULL;
	gph_volatile_frames = 0;
	kvfree(gph_essa_bytes);
	gph_essa_bytes = NULL;
}

/*
 * The frame was freed, allocated, taken back for a folio being freed, or
 * made stable at disable (after gph_volatile_release()): what volatile.c
 * left in the guest's byte is over. The books follow the byte: return the
 * state to account the move from. A frame freed while volatile may have
 * been discarded without anyone noticing: account the host's move first.
 * Two resets may race (the disable walk and an allocation): the loser
 * reports @new, a move that changed nothing. A window or PENDING here would
 * mean someone still holds the folio.
 */
static noinline int gph_essa_byte_reset(unsigned long pfn, enum gph_state new,
					 int machine)
{
	u8 old = READ_ONCE(gph_essa_bytes[pfn]);

	if (old == GPH_STABLE)
		return machine;
	if (WARN_ON_ONCE(old != GPH_VOLATILE && old != GPH_DISCARDED))
		return machine;
	if (cmpxchg(&gph_essa_bytes[pfn], old, GPH_STABLE) != old)
		return new;
	if (old == GPH_VOLATILE && machine == GPH_DISCARDED) {
		gph_moved(pfn, 1, GPH_VOLATILE, GPH_DISCARDED, GPH_REASON_HOST);
		return GPH_DISCARDED;
	}
	return old;
}

static int gph_essa_set_state(unsigned long pfn, enum gph_state new)
{
	unsigned long paddr = PFN_PHYS(pfn);
	unsigned long r1;

	/*
	 * Memory hot-added after load goes unhinted while we are registered:
	 * the arch's free hint steps aside for any registered module (0002).
	 */
	if (pfn >= gph_essa_nr_frames)
		return -ERANGE;
	switch (new) {
	case GPH_UNUSED:
		r1 = gph_essa(paddr, GPH_ESSA_SET_UNUSED);
		break;
	case GPH_STABLE:
		r1 = gph_essa_set_stable(paddr);
		break;
	default:
		WARN_ON_ONCE(1);
		return -EINVAL;
	}
	if (unlikely(READ_ONCE(gph_essa_bytes[pfn]) != GPH_STABLE))
		return gph_essa_byte_reset(pfn, new, gph_essa_decode(r1));
	return gph_essa_decode(r1);
}

static int gph_essa_get_state(unsigned long pfn)
{
	if (pfn >= gph_essa_nr_frames)
		return -ERANGE;
	gph_count_backend_ops(1);
	return gph_essa_decode(gph_essa(PFN_PHYS(pfn), GPH_ESSA_GET_STATE));
}

const struct gph_backend gph_essa_backend = {
	.name = "essa",
	.probe = gph_essa_probe,
	.start = gph_essa_start,
	.stop = gph_essa_stop,
	.set_state = gph_essa_set_state,
	.get_state = gph_essa_get_state,
	.shares_arch_state = true,
	.volatile_commit = gph_essa_volatile_commit,
	.volatile_use = gph_essa_volatile_use,
	.host = gph_essa_host,
};
