// SPDX-License-Identifier: GPL-2.0
/*
 * essa backend (s390): page states go to the hypervisor with the ESSA
 * instruction (Extract and Set Storage Attributes), as the builtin CMMA of
 * arch/s390/mm/page-states.c does for free pages.
 *
 * There is no facility bit for CMMA: ESSA is probed by executing it under an
 * exception-table fixup. QEMU TCG has no ESSA at all (operation exception),
 * and a host may switch CMMA off; then this backend refuses to load.
 */
#define pr_fmt(fmt) "gph: essa: " fmt

#include <linux/errno.h>
#include <linux/mm.h>
#include <asm/asm-extable.h>
#include <asm/facility.h>
#include "gph.h"
#include "essa_decode.h"

static bool gph_essa_nodat;	/* facility 147: stable pages may be NODAT */

static __always_inline unsigned long gph_essa(unsigned long paddr,
					      unsigned char orc)
{
	unsigned long r1;

	asm volatile(
		"	.insn	rrf,0xb9ab0000,%[r1],%[paddr],%[orc],0"
		: [r1] "=d" (r1)
		: [paddr] "d" (paddr), [orc] "i" (orc));
	gph_count_backend_ops(1);
	return r1;
}

/*
 * Execute ESSA GET_STATE once. Without CMMA it raises an operation
 * exception, which leaves the PSW after the instruction: the fixup entry
 * therefore names the instruction that follows ESSA, and skips the store of
 * success.
 */
static int gph_essa_probe(void)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long paddr, r1 = 0;
	int rc = -ENODEV;

	if (!page)
		return -ENOMEM;
	paddr = page_to_phys(page);
	asm volatile(
		"	.insn	rrf,0xb9ab0000,%[r1],%[paddr],0,0\n"
		"0:	lhi	%[rc],0\n"
		"1:\n"
		EX_TABLE(0b, 1b)
		: [rc] "+d" (rc), [r1] "+d" (r1)
		: [paddr] "d" (paddr)
		: "cc", "memory");
	__free_page(page);
	if (rc) {
		pr_err("no CMMA (ESSA) on this machine; use backend=table\n");
		return rc;
	}
	gph_essa_nodat = test_facility(147);
	pr_info("ESSA available%s\n", gph_essa_nodat ? ", NODAT (facility 147)" : "");
	return 0;
}

static int gph_essa_start(unsigned long nr_frames)
{
	return 0;
}

static void gph_essa_stop(void)
{
}

static int gph_essa_set_state(unsigned long pfn, enum gph_state new)
{
	unsigned long paddr = PFN_PHYS(pfn);
	unsigned long r1;

	switch (new) {
	case GPH_UNUSED:
		r1 = gph_essa(paddr, GPH_ESSA_SET_UNUSED);
		break;
	case GPH_STABLE:
		r1 = gph_essa_nodat ? gph_essa(paddr, GPH_ESSA_SET_STABLE_NODAT) :
				      gph_essa(paddr, GPH_ESSA_SET_STABLE);
		break;
	default:
		WARN_ON_ONCE(1);
		return -EINVAL;
	}
	return gph_essa_decode(r1);
}

static int gph_essa_get_state(unsigned long pfn)
{
	return gph_essa_decode(gph_essa(PFN_PHYS(pfn), GPH_ESSA_GET_STATE));
}

const struct gph_backend gph_essa_backend = {
	.name = "essa",
	.probe = gph_essa_probe,
	.start = gph_essa_start,
	.stop = gph_essa_stop,
	.set_state = gph_essa_set_state,
	.get_state = gph_essa_get_state,
};
