/*
 * worker.c - the worker loop (worker.h) and its pthread launcher.  Per
 * iteration: receive a burst without blocking while the last one was full
 * (more is queued), else wait for traffic RCU-offline (DESIGN.md "RCU": no
 * grace period waits on an idle worker); one rcu_dereference of the root
 * per burst; answer the burst in one ans_respond_burst call; rate-limit
 * the responses (rrl.h, when on); count the outcomes; send; one quiescent
 * state; a stamp of the CPU's cycle counter (the liveness ringctl status
 * shows).  No allocation, lock, syscall or log here beyond the backend's
 * batched I/O.  The workers run on threads of their own (wk_pool_launch)
 * or on another's (wk_pool_launch_on: DPDK's lcores).
 */
#include "dataplane/worker.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/sigmask.h"
#include "dataplane/cookie.h"
#include "dataplane/dnstap.h"
#include "dataplane/rrl.h"
#include "dataplane/stats.h"

struct wk {
	const struct io_ops *ops;
	struct io_queue *q;
	const struct dp_run *run;
	const struct ans_cfg *acfg;	/* &own */
	struct ans_cfg own;		/* the pool's, with this worker's cookie context */
	struct wstats *st;
	struct zstats *zst;		/* its zone counters; NULL: off */
	struct dt_wk *dt;		/* dnstap; NULL: off */
	struct rrl_worker rrl;		/* r NULL: no rate limiting */
	uint64_t stamp;			/* wk_cycles() at the last iteration; 0: none yet */
	struct io_burst b;
	/* the pthread launcher's */
	pthread_t th;
	bool started;
	int cpu;			/* -1: not pinned */
} __attribute__((aligned(64)));

struct wk_pool {
	struct dp_run *run;
	unsigned n;
	struct wk *w;			/* [n] */
	const struct wk_launcher *on;	/* NULL: the workers' threads are ours */
	uint64_t cycles0;		/* wk_cycles() and wk_mono_ns() at wk_pool_new: */
	uint64_t mono0;			/* the cycle counter's rate is measured from them */
};

/* The CPU's cycle counter: a cheap stamp with no syscall, the same rate
 * on every core (the invariant TSC; the generic timer on arm64). */
#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t wk_cycles(void)
{
	return __builtin_ia32_rdtsc();
}
#elif defined(__aarch64__)
static inline uint64_t wk_cycles(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
}
#else
static inline uint64_t wk_cycles(void)
{
	struct timespec ts;	/* a vDSO read, no syscall */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

static uint64_t wk_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

_Static_assert(IO_BURST <= 32, "dnstap's sample of a burst is a 32-bit mask");

/* Answers, counts and sends one received burst. */
static void wk_serve(struct wk *w, struct io_burst *b)
{
	/* one dereference per burst, passed down as const and never kept
	 * past the quiescent state that ends the iteration */
	const struct zidx *root = dp_run_root(w->run);
	uint32_t tap = w->dt ? dt_burst_queries(w->dt, b->req, b->n) : 0;
	ans_respond_burst(root, w->acfg, b->req, b->n, b->out, b->cap, b->len, b->oc);
	if (w->rrl.r)
		rrl_burst(&w->rrl, b->req, b->out, b->len, b->oc, b->n, w->st, rrl_now_ms());
	if (tap)
		dt_burst_responses(w->dt, b->req, b->out, b->len, tap);
	for (unsigned i = 0; i < b->n; i++) {
		st_count(w->st, w->zst, ST_UDP, &b->oc[i]);
		if (__builtin_expect(b->oc[i].notify, 0))
			dp_run_notified(w->run, &b->req[i], b->out[i], b->len[i]);
	}
	unsigned lost = w->ops->tx_burst(w->q, b);
	if (lost)
		ST_ADD(w->st->dropped, lost);
}

int wk_main(void *arg)
{
	struct wk *w = arg;
	const struct io_ops *ops = w->ops;
	bool busy = false;	/* the last burst was full: more is queued */
	rcu_register_thread();
	w->dt = dt_attach(w->run->dnstap, w->st);
	while (!dp_run_stopped(w->run)) {
		unsigned n = busy ? ops->rx_burst(w->q, &w->b) : 0;
		if (!n) {
			dp_run_idle_begin();
			n = ops->wait(w->q, &w->b);
			dp_run_idle_end();
		}
		busy = n == IO_BURST;
		if (n)
			wk_serve(w, &w->b);
		__atomic_store_n(&w->stamp, wk_cycles(), __ATOMIC_RELAXED);
		dp_rcu_quiescent();
	}
	dp_rcu_unregister();
	return 0;
}

struct wk_pool *wk_pool_new(const struct wk_conf *c)
{
	struct wk_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->w = aligned_alloc(64, c->n * sizeof *p->w);
	if (!p->w) {
		free(p);
		return NULL;
	}
	memset(p->w, 0, c->n * sizeof *p->w);
	p->run = c->run;
	p->n = c->n;
	p->cycles0 = wk_cycles();
	p->mono0 = wk_mono_ns();
	for (unsigned i = 0; i < c->n; i++) {
		struct wk *w = &p->w[i];
		*w = (struct wk){ .ops = c->ops, .q = c->ops->queue(c->io, i), .run = c->run,
				  .acfg = &w->own, .st = &c->stats[i], .rrl = { .r = c->rrl },
				  .zst = c->zstats ? c->zstats + (size_t)i * c->zslots : NULL,
				  .cpu = -1 };
		char err[256];
		if (ck_thread_cfg(&w->own, c->acfg, err, sizeof err) != 0) {
			p->n = i;
			wk_pool_free(p);
			return NULL;
		}
	}
	return p;
}

struct wk *wk_pool_worker(struct wk_pool *p, unsigned i)
{
	return i < p->n ? &p->w[i] : NULL;
}

double wk_pool_idle_ms(const struct wk_pool *p, unsigned i)
{
	uint64_t stamp = __atomic_load_n(&p->w[i].stamp, __ATOMIC_RELAXED);
	if (!stamp)
		return -1;
	uint64_t now = wk_cycles(), ns = wk_mono_ns() - p->mono0;
	/* the counter's rate over the pool's life so far: no calibration
	 * at start, and as exact as the clock after a few milliseconds */
	double per_ms = ns ? (double)(now - p->cycles0) * 1e6 / (double)ns : 0;
	/* a stamp a hair ahead of this core's counter (another core's) is now */
	return per_ms > 0 && now > stamp ? (double)(now - stamp) / per_ms : 0;
}

static void *wk_thread(void *arg)
{
	wk_main(arg);
	return NULL;
}

/* The CPUs the process may run on, in order; returns how many. */
static int wk_cpus(int *cpu, int cap)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	return n;
}

static void wk_join(struct wk_pool *p)
{
	dp_run_stop(p->run);
	for (unsigned i = 0; i < p->n; i++)
		if (p->w[i].started) {
			if (p->on)
				p->on->join(p->on->ctx, i);
			else
				pthread_join(p->w[i].th, NULL);
			p->w[i].started = false;
		}
}

int wk_pool_launch_on(struct wk_pool *p, const struct wk_launcher *l, char *err,
		      size_t errcap)
{
	p->on = l;
	for (unsigned i = 0; i < p->n; i++) {
		if (l->start(l->ctx, i, wk_main, &p->w[i], err, errcap) != 0) {
			wk_join(p);
			return -1;
		}
		p->w[i].started = true;
	}
	return 0;
}

int wk_pool_launch(struct wk_pool *p, bool cpu_pin, char *err, size_t errcap)
{
	int cpus[CPU_SETSIZE];
	int ncpu = cpu_pin ? wk_cpus(cpus, CPU_SETSIZE) : 0;
	if (cpu_pin && !ncpu) {
		snprintf(err, errcap, "cpu-pin: cannot read the process's CPU affinity");
		return -1;
	}
	/* the workers take no signals: they are the main thread's business */
	sigset_t all, old;
	sigmask_async(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (unsigned i = 0; i < p->n && !rc; i++) {
		struct wk *w = &p->w[i];
		pthread_attr_t at;
		pthread_attr_init(&at);
		if (ncpu) {
			cpu_set_t set;
			CPU_ZERO(&set);
			w->cpu = cpus[i % (unsigned)ncpu];
			CPU_SET(w->cpu, &set);
			pthread_attr_setaffinity_np(&at, sizeof set, &set);
		}
		rc = pthread_create(&w->th, &at, wk_thread, w);
		pthread_attr_destroy(&at);
		if (rc)
			snprintf(err, errcap, "starting worker %u: %s", i, strerror(rc));
		else
			w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		wk_join(p);
	return rc ? -1 : 0;
}

void wk_pool_free(struct wk_pool *p)
{
	if (!p)
		return;
	wk_join(p);
	for (unsigned i = 0; i < p->n; i++)
		ck_thread_cfg_fini(&p->w[i].own);
	free(p->w);
	free(p);
}
