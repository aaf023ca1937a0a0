/*
 * worker.h - the one worker loop of ringdns, for every I/O backend
 * (DESIGN.md "I/O backends"): receive a burst from the backend, answer it
 * with the engine from the current snapshot, count the outcomes, send.
 * The worker owns the RCU discipline; the backend only moves packets.
 */
#ifndef RINGDNS_WORKER_H
#define RINGDNS_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/stats.h"
#include "dataplane/answer.h"
#include "dataplane/io.h"
#include "dataplane/run.h"

struct wk;
struct wk_pool;

struct wk_conf {
	const struct io_ops *ops;
	struct io_backend *io;		/* opened; queue i goes to worker i */
	unsigned n;			/* workers, <= the backend's queues */
	struct dp_run *run;		/* stop flag and root, shared with TCP */
	const struct ans_cfg *acfg;	/* outlives the pool */
	struct wstats *stats;		/* [n]: stats[i] is written by worker i only */
	struct zstats *zstats;		/* [n * zslots]: worker i's zone counters at
					   zstats + i * zslots; NULL: off */
	unsigned zslots;
	struct rrl *rrl;		/* response rate limiting (rrl.h), shared by
					   the workers, outliving the pool; NULL: off */
};

/* The workers' state (per worker, cache-aligned); NULL when out of memory. */
struct wk_pool *wk_pool_new(const struct wk_conf *c);
/* Worker i, the argument for wk_main. */
struct wk *wk_pool_worker(struct wk_pool *p, unsigned i);

/*
 * The worker loop, shaped as a DPDK lcore function so that
 * rte_eal_remote_launch can start it: arg is a struct wk.  Registers with
 * RCU, serves until the run's stop flag is raised, unregisters; returns 0.
 */
int wk_main(void *arg);

/*
 * Starts every worker on a thread of its own (signals blocked there).
 * cpu_pin: worker i runs on the i-th CPU of the process's affinity mask
 * (modulo their number).  -1 with a message on failure (the workers
 * started are stopped again).
 */
int wk_pool_launch(struct wk_pool *p, bool cpu_pin, char *err, size_t errcap);

/*
 * Threads someone else owns that can run a worker (DPDK's worker lcores):
 * start(ctx, i, fn, arg) runs fn(arg) as worker i and returns at once (-1
 * with a message when it cannot); join(ctx, i) waits until it returned.
 */
struct wk_launcher {
	int (*start)(void *ctx, unsigned i, int (*fn)(void *), void *arg, char *err,
		     size_t errcap);
	void (*join)(void *ctx, unsigned i);
	void *ctx;
};

/* Starts every worker through l (kept until wk_pool_free); -1 with a
 * message on failure (the workers started are stopped again). */
int wk_pool_launch_on(struct wk_pool *p, const struct wk_launcher *l, char *err,
		      size_t errcap);

/* Milliseconds since worker i last went round its loop (it does at least
 * every IO_WAIT_MS while it runs, idle or not): its liveness, for ringctl
 * status.  -1 before its first iteration.  Any thread may ask. */
double wk_pool_idle_ms(const struct wk_pool *p, unsigned i);

/* Raises the run's stop flag, joins the threads started (within
 * IO_WAIT_MS) and frees p.  The backend stays open. */
void wk_pool_free(struct wk_pool *p);

#endif
