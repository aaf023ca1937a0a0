/*
 * rcu.h - the liburcu QSBR calls ringdns makes, as ThreadSanitizer can
 * see them.  Outside a TSan build each wrapper is the liburcu call itself.
 *
 * Why: Debian's liburcu is not built with TSan, and its memory ordering
 * is invisible to it: rcu_xchg_pointer is an `xchg` in inline assembly
 * (or a call into the library), rcu_dereference a volatile load, a
 * quiescent state a store and fence inside the library, synchronize_rcu
 * a futex wait on counters the library reads.  TSan then sees a worker
 * read an index the publisher wrote, and the publisher free an index a
 * worker read, with no happens-before edge, and reports both as races.
 * The edges liburcu does guarantee are told to TSan here:
 *   - publish -> dereference: a release on the pointer's address before
 *     the exchange, an acquire on it after the load (rcu_dereference's
 *     address dependency, which C11 would call consume);
 *   - a reader's quiescent state, offline period or unregistration ->
 *     the end of every grace period after it: a release on one object
 *     (dp_rcu_tsan_gp) by each reader before it leaves the read side,
 *     an acquire on it by the writer after synchronize_rcu.  TSan's
 *     release merges clocks, so the writer acquires every reader's.
 * Use these, never the bare liburcu calls, wherever the dataplane
 * publishes, reads or reclaims an RCU-protected pointer.
 */
#ifndef RINGDNS_DP_RCU_H
#define RINGDNS_DP_RCU_H

#include <urcu-qsbr.h>

#include "dataplane/tsan.h"

#ifdef DP_TSAN
/* The grace-period sync object: weak, so that every file including this
 * header shares one definition. */
__attribute__((weak)) char dp_rcu_tsan_gp;
#endif

/* The value a reader just loaded from *pp, after telling TSan it
 * acquires what the publisher released there. */
static inline void *dp_rcu_acquired(const void *pp, void *v)
{
	(void)pp;
	TSAN_ACQUIRE(pp);
	return v;
}

/* rcu_dereference(*pp) (pp evaluated twice: a plain lvalue address). */
#define dp_rcu_deref(pp) \
	((__typeof__(*(pp)))dp_rcu_acquired((pp), (void *)rcu_dereference(*(pp))))

/* rcu_xchg_pointer(pp, v): publishes v, returns the old pointer (pp
 * evaluated twice). */
#define dp_rcu_publish(pp, v) (TSAN_RELEASE(pp), rcu_xchg_pointer((pp), (v)))

/* synchronize_rcu(): every reader has left the read side it was in. */
static inline void dp_rcu_synchronize(void)
{
	synchronize_rcu();
	TSAN_ACQUIRE(&dp_rcu_tsan_gp);
}

static inline void dp_rcu_quiescent(void)
{
	TSAN_RELEASE(&dp_rcu_tsan_gp);
	rcu_quiescent_state();
}

static inline void dp_rcu_offline(void)
{
	TSAN_RELEASE(&dp_rcu_tsan_gp);
	rcu_thread_offline();
}

static inline void dp_rcu_unregister(void)
{
	TSAN_RELEASE(&dp_rcu_tsan_gp);
	rcu_unregister_thread();
}

#endif
