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
 *           then holds GPH_DISCARDED until the folio is freed. ORC 6 also
 *           leaves a frame the host paged out (content preserved, not
 *           resident): SET_STABLE then takes it, or finds it discarded.
 *
 * A lookup that finds either window waits for it: a window is one or two
 * instructions with interrupts off (under KVM an intercepted ESSA may take
 * longer). So no lookup takes a frame for stable
 * while the machine still has it volatile, and no make-volatile turns a
 * frame volatile under a lookup that found it stable. Both shortcuts fail
 * in the model.
 *
 * The includer defines, before including this file:
 *   gph_essa_proto_insn(frame, orc)   execute ESSA @orc on @frame, return R1
 *   gph_essa_proto_set_stable(frame)  ESSA SET_STABLE (or _NODAT), return R1
 *   gph_essa_proto_irq_save(flags)    and gph_essa_proto_irq_restore(flags)
 * and includes table_proto.h (gph_proto_read/cas/relax) and essa_decode.h.
 * The byte's compare-and-exchanges are compiler barriers on both sides of
 * each ESSA, which has no memory clobber of its own.
 */
#ifndef _GPH_ESSA_PROTO_H
#define _GPH_ESSA_PROTO_H

/* Guest-only byte values: not gph_states, never seen by a host. */
#define GPH_ESSA_COMMIT	0x80
#define GPH_ESSA_TAKING	0x81
/* gph_essa_proto_use(): it found the frame discarded just now (VOLATILE -> DISCARDED). */
#define GPH_ESSA_FOUND_LOST	0x82

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
 * first (the byte is STABLE again and the machine never left stable). The
 * R1 of SET_VOLATILE says nothing we need: the frame was stable.
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

/*
 * From the R1 of ORC 6 or SET_STABLE (the state before it): is the content
 * gone? An exception (KVM could not do it) counts as gone too: removing a
 * folio and reading it again is always safe.
 */
gph_essa_proto_fn bool gph_essa_proto_gone(unsigned long r1)
{
	unsigned int usage = (r1 & GPH_ESSA_USAGE_MASK) >> GPH_ESSA_USAGE_SHIFT;

	return (r1 & GPH_ESSA_EXCEPTION) || usage == 1 ||	/* unused */
	       (r1 & GPH_ESSA_CONTENT_MASK) == GPH_ESSA_CONTENT_ZERO;
}

/* ORC 6 left it volatile: usage (potentially) volatile, not resident. */
gph_essa_proto_fn bool gph_essa_proto_left_volatile(unsigned long r1)
{
	return ((r1 & GPH_ESSA_USAGE_MASK) >> GPH_ESSA_USAGE_SHIFT) >= 2 &&
	       (r1 & GPH_ESSA_CONTENT_MASK);
}

/**
 * gph_essa_proto_use - take a frame back before using its content
 *
 * The caller holds a reference that a make-volatile's refcount check counts,
 * taken with a fully ordered atomic before this call. Waits only for
 * windows.
 *
 * Return: as gph_proto_guest_use(): GPH_VOLATILE or GPH_PENDING, now stable;
 * GPH_DISCARDED: lost before (the byte said so); GPH_ESSA_FOUND_LOST: the
 * host discarded it, found now; anything else (GPH_STABLE): left as it was,
 * content usable.
 */
gph_essa_proto_fn int gph_essa_proto_use(unsigned char *byte,
					 unsigned long frame)
{
	unsigned char old, new;
	unsigned long flags, r1;

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
		 * discarded (content zero) stays as it is; paged out by the
		 * host stays volatile, so SET_STABLE takes it, unless the host
		 * discarded it meanwhile.
		 */
		r1 = gph_essa_proto_insn(frame, GPH_ESSA_SET_STABLE_IF_RESIDENT);
		if (!gph_essa_proto_gone(r1) && gph_essa_proto_left_volatile(r1))
			r1 = gph_essa_proto_set_stable(frame);
		new = gph_essa_proto_gone(r1) ? GPH_DISCARDED : GPH_STABLE;
		old = GPH_ESSA_TAKING;	/* only we leave TAKING */
		gph_proto_cas(byte, &old, new);
		gph_essa_proto_irq_restore(flags);
		return new == GPH_STABLE ? GPH_VOLATILE : GPH_ESSA_FOUND_LOST;
	}
}

#endif /* _GPH_ESSA_PROTO_H */
