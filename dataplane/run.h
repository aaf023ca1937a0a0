/*
 * run.h - what every serving thread of ringdns shares (the workers of
 * worker.c and the TCP threads of tcp.c): the stop flag and the
 * RCU-protected root of the zone index, with the liburcu QSBR idiom
 * around them (DESIGN.md "RCU").  One definition for every loop, so that
 * a stop reaches all of them and each reads the root the same way.
 *
 * A serving thread: rcu_register_thread(); then per iteration
 * dp_run_root() once per burst (passed down as const, never kept),
 * dp_run_idle_begin()/dp_run_idle_end() around any sleep, and
 * dp_rcu_quiescent() once; dp_rcu_unregister() at the end (rcu.h).
 */
#ifndef RINGDNS_DP_RUN_H
#define RINGDNS_DP_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include "dataplane/answer.h"
#include "dataplane/ntq.h"
#include "dataplane/rcu.h"
#include "zones/snap.h"

struct dt_srv;

struct dp_run {
	struct zidx *const *root;	/* the publisher's pointer (never NULL behind it) */
	struct ntq *notified;		/* accepted NOTIFYs go here; NULL: dropped */
	struct dt_srv *dnstap;		/* dnstap logging (dnstap.h); NULL: off */
	atomic_bool stop;
};

static inline void dp_run_init(struct dp_run *r, struct zidx *const *root)
{
	r->root = root;
	r->notified = NULL;
	r->dnstap = NULL;
	atomic_init(&r->stop, false);
}

/* After answering: a NOTIFY from an allowed primary (oc->notify) goes to
 * the main thread, which tells the control process. */
static inline void dp_run_notified(const struct dp_run *r, const struct ans_req *req,
				   const uint8_t *resp, size_t len)
{
	uint8_t zone[DNAME_MAX], peer[16];
	if (r->notified && ans_notify_of(req, resp, len, zone, peer))
		ntq_push(r->notified, zone, peer);
}

/* Asks every thread of the run to end (each notices within its wait). */
static inline void dp_run_stop(struct dp_run *r)
{
	atomic_store_explicit(&r->stop, true, memory_order_release);
}

static inline bool dp_run_stopped(const struct dp_run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_acquire);
}

/* The zone index for one burst: call online, once per burst; valid until
 * the thread's next quiescent state or idle period. */
static inline const struct zidx *dp_run_root(const struct dp_run *r)
{
	return dp_rcu_deref(r->root);
}

/* Around every wait: an idle thread never holds a grace period open. */
static inline void dp_run_idle_begin(void)
{
	dp_rcu_offline();
}

static inline void dp_run_idle_end(void)
{
	rcu_thread_online();
}

#endif
