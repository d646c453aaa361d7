/* SPDX-License-Identifier: GPL-2.0 */
/*
 * essa backend: the guest's byte per frame around ESSA, for volatile page
 * cache. Kernel-independent, so tests/unit races it with threads against a
 * simulated machine; tests/model/essa-volatile.pml is its spin model.
 *
 * With ESSA a frame's state lives in the machine, which only ESSA changes,
 * and the host may turn a volatile resident frame into a discarded one at
 * any moment. The guest keeps a byte of its own per frame: the intent
 * (PENDING, as the table backend has it) and two windows, each around one
 * ESSA:
 *
 *   COMMIT  make-volatile, after the refcount check: SET_VOLATILE;
 *   TAKING  make-stable of a VOLATILE frame: SET_STABLE_IF_RESIDENT (ORC 6),
 *           which leaves a discarded frame as it is and says so. The byte
 *           then holds GPH_DISCARDED until the folio is freed.
 *
 * A lookup that finds either window waits for it: a window is one
 * instruction with interrupts off. So no lookup takes a frame for stable
 * while the machine still has it volatile, and no make-volatile turns a
 * frame volatile under a lookup that found it stable. Both shortcuts fail
 * in the model.
 *
 * The includer defines, before including this file:
 *   gph_essa_proto_insn(frame, orc)   execute ESSA @orc on @frame, return R1
 *   gph_essa_proto_irq_save(flags)    and gph_essa_proto_irq_restore(flags)
 * and includes table_proto.h (gph_proto_read/cas/relax) and essa_decode.h.
 */
#ifndef _GPH_ESSA_PROTO_H
#define _GPH_ESSA_PROTO_H

/* Guest-only byte values: not gph_states, never seen by a host. */
#define GPH_ESSA_COMMIT	0x80
#define GPH_ESSA_TAKING	0x81

#ifdef __KERNEL__
#define gph_essa_proto_fn	static __always_inline	/* ESSA's ORC is an immediate */
#else
#define gph_essa_proto_fn	static inline
#endif

/**
 * gph_essa_proto_commit - make a PENDING frame volatile
 *
 * The caller moved the byte STABLE -> PENDING, then found the refcount and
 * the folio's flags right for volatile.
 *
 * Return: true if the frame is volatile now; false if a lookup took it back
 * first (the byte is STABLE again and the machine never left stable).
 */
gph_essa_proto_fn bool gph_essa_proto_commit(unsigned char *byte,
					     unsigned long frame)
{
	unsigned char old = GPH_PENDING;
	unsigned long flags;

	gph_essa_proto_irq_save(flags);
	if (!gph_proto_cas(byte, &old, GPH_ESSA_COMMIT)) {
		gph_essa_proto_irq_restore(flags);
		return false;
	}
	gph_essa_proto_insn(frame, GPH_ESSA_SET_VOLATILE);
	old = GPH_ESSA_COMMIT;	/* only we leave COMMIT: cannot fail */
	gph_proto_cas(byte, &old, GPH_VOLATILE);
	gph_essa_proto_irq_restore(flags);
	return true;
}

/**
 * gph_essa_proto_use - take a frame back before using its content
 *
 * The caller holds a reference that a make-volatile's refcount check counts,
 * taken with a fully ordered atomic before this call. Waits only for a
 * window (one instruction).
 *
 * Return: as gph_proto_guest_use(): GPH_VOLATILE or GPH_PENDING, now stable;
 * GPH_DISCARDED: the host discarded it, the content is lost; anything else
 * (GPH_STABLE): left as it was, content usable.
 */
gph_essa_proto_fn int gph_essa_proto_use(unsigned char *byte,
					 unsigned long frame)
{
	unsigned char old, new;
	unsigned long flags;
	int was;

	for (;;) {
		old = gph_proto_read(byte);
		if (old == GPH_ESSA_COMMIT || old == GPH_ESSA_TAKING) {
			gph_proto_relax();
			continue;
		}
		if (old == GPH_PENDING) {	/* the machine never left stable */
			if (gph_proto_cas(byte, &old, GPH_STABLE))
				return GPH_PENDING;
			continue;
		}
		if (old != GPH_VOLATILE)
			return old;
		gph_essa_proto_irq_save(flags);
		if (!gph_proto_cas(byte, &old, GPH_ESSA_TAKING)) {
			gph_essa_proto_irq_restore(flags);
			continue;
		}
		/*
		 * The state before ORC 6: volatile and resident is stable now;
		 * volatile with content zero was discarded and stays so. Unused
		 * would mean the content may be gone too.
		 */
		was = gph_essa_decode(gph_essa_proto_insn(frame,
						GPH_ESSA_SET_STABLE_IF_RESIDENT));
		new = was == GPH_VOLATILE || was == GPH_STABLE ? GPH_STABLE :
								GPH_DISCARDED;
		old = GPH_ESSA_TAKING;	/* only we leave TAKING */
		gph_proto_cas(byte, &old, new);
		gph_essa_proto_irq_restore(flags);
		return new == GPH_STABLE ? GPH_VOLATILE : GPH_DISCARDED;
	}
}

#endif /* _GPH_ESSA_PROTO_H */
