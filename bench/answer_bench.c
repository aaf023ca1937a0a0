/*
 * answer_bench.c - the answer engine on one core: compiles a big zone (plus
 * a few wildcards) and the signed test zones, builds query sets per class
 * (hits, NXDOMAIN random subdomains, wildcard, referrals, DO-bit queries on
 * NSEC and NSEC3 zones, and a shuffled mix; with --tld-zone also the
 * classes of a TLD-shaped zone: referrals, NXDOMAIN, apex queries and their
 * mix, DO on 70 %), answers each set in a tight loop pinned to one CPU and
 * prints a markdown table of answers/s, mean ns/query and p50/p99 latency
 * per class.  Also reports compile time and snapshot size.
 *
 *   answer_bench [--zone FILE] [--origin NAME] [--queries N] [--cpu N]
 *                [--signed DIR] [--burst N] [--compile-only] [--seed N]
 *                [--repeat N] [--cold-packets] [--hit-type TYPE] [--only CLASS]
 *                [--tld-zone FILE] [--tld-origin NAME] [--cookie]
 *                [--dnstap FILE [--dnstap-sample N]] [--rrl RATE]
 *                [--rrl-clients N]
 *
 * Defaults: bench/out/zone-1000000.zone (make it with
 * `build/bench/genzone example.com. 1000000 1 > bench/out/zone-1000000.zone`),
 * origin example.com., 1M queries per class, CPU 1, signed zones from
 * tests/data/answer.  Latency: every 8th query is timed on its own with the
 * CPU's time-stamp counter (calibrated against CLOCK_MONOTONIC, the timer's
 * own overhead subtracted); mean ns/query comes from the wall time of the
 * whole loop.  Every response is checked for the outcome its class expects
 * (RCODE, AA, answer/authority counts; for the TLD classes also the types
 * in the authority section), and the table says how many matched.
 * --cookie: every EDNS query carries a client cookie (RFC 7873) and the
 * engine makes a server cookie for each (one SipHash-2-4, RFC 9018), to
 * compare with a run without it; the queries come from 198.18.0.1 either
 * way.
 * --dnstap logs 1 query in N (default 1) and its response to FILE
 * (/dev/null: the worker's side only) as the worker loop does, around
 * each timed call (burst <= 32), and prints what was sent and dropped.
 * --rrl RATE: each response then goes through response rate limiting
 * (dataplane/rrl.h, as the worker loop does: one clock read per call) at
 * RATE responses/s per bucket, slip 2, a fresh 262144-bucket table per
 * class, query i from the client k = i % N (--rrl-clients N, default
 * 65536), 10.(k/256%256).(k%256).1, one per /24: a high RATE limits
 * nothing and measures the bookkeeping; a low one with few clients limits
 * every repeated response (NXDOMAIN of one zone, say) and measures drops
 * and truncation.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#include "common/stats.h"
#include "dataplane/answer.h"
#include "dataplane/cookie.h"
#include "dataplane/dnstap.h"
#include "dataplane/rrl.h"
#include "zones/compile.h"
#include "zones/diag.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/zone.h"
#include "zones/zonefile.h"

#define QMAX 300		/* one query's bytes, with OPT */
#define WILDCARDS 64		/* *.wcN.ORIGIN added to the big zone */

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static struct dt_wk *tap;	/* --dnstap: the worker's share */
static struct wstats tap_st;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* --repeat: timed passes over each query set (for profiling) */
static unsigned repeat = 1;
/* --rrl: responses per second per bucket; 0: no rate limiting */
static unsigned rrl_rate;
static unsigned rrl_clients = 65536;	/* --rrl-clients */
/* --cold-packets: no receive ring (see run()) */
static bool cold_packets;
static bool with_cookie;	/* --cookie */
#define RING_SLOTS 1024

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint64_t ticks(void)
{
#if HAVE_TSC
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* ns per tick, measured over 200 ms */
static double tick_ns(void)
{
	if (!HAVE_TSC)
		return 1.0;
	double t0 = now_s();
	uint64_t c0 = ticks();
	while (now_s() - t0 < 0.2)
		;
	return (now_s() - t0) * 1e9 / (double)(ticks() - c0);
}

/* ---- query sets ---- */

enum expect {
	EX_HIT, EX_NXDOMAIN, EX_REFERRAL, EX_ANY_AUTH,
	EX_REF_NS,		/* referral with NS in the authority section */
	EX_REF_DS,		/* ... and the DS (DO, signed zone) */
	EX_REF_DENIAL,		/* ... and NSEC or NSEC3 proving there is no DS */
	EX_NX_DENIAL,		/* NXDOMAIN with NSEC or NSEC3 records */
};

struct qset {
	const char *name;
	enum expect ex_default;
	size_t n;
	uint8_t *buf;		/* n * QMAX */
	uint16_t *len;
	uint8_t *ex;		/* per query: enum expect */
};

static void qset_init(struct qset *s, const char *name, enum expect ex, size_t n)
{
	s->name = name;
	s->ex_default = ex;
	s->n = 0;
	s->buf = malloc(n * QMAX);
	s->len = malloc(n * sizeof *s->len);
	s->ex = malloc(n);
	if (!s->buf || !s->len || !s->ex) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Appends a query for name/type (EDNS 1232 when edns, DO when dnssec). */
static void qset_add(struct qset *s, const uint8_t *name, uint16_t type, bool edns,
		     bool dnssec)
{
	uint8_t *q = s->buf + s->n * QMAX;
	size_t nl = dname_len(name), l = 12;
	memset(q, 0, 12);
	put16(q, (unsigned)(s->n & 0xffff));
	put16(q + 4, 1);
	put16(q + 10, edns ? 1 : 0);
	memcpy(q + l, name, nl);
	l += nl;
	put16(q + l, type);
	put16(q + l + 2, RR_CLASS_IN);
	l += 4;
	if (edns) {
		static const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
		memcpy(q + l, opt, sizeof opt);
		if (dnssec)
			q[l + 7] = 0x80;
		l += sizeof opt;
		if (with_cookie) {
			static const uint8_t ck[12] = { 0, 10, 0, 8, 0x24, 0x64, 0xc4, 0xab,
							0xcf, 0x10, 0xc9, 0x57 };
			memcpy(q + l, ck, sizeof ck);
			put16(q + l - 2, sizeof ck);
			l += sizeof ck;
		}
	}
	s->ex[s->n] = (uint8_t)s->ex_default;
	s->len[s->n++] = (uint16_t)l;
}

/* Prepends label (text) to name (wire) into out. */
static void prepend(uint8_t *out, const char *label, const uint8_t *name)
{
	size_t l = strlen(label), nl = dname_len(name);
	out[0] = (uint8_t)l;
	memcpy(out + 1, label, l);
	memcpy(out + 1 + l, name, nl);
}

/* ---- the big zone's names, classified ---- */

/* A malloc()ed copy of name (wire). */
static uint8_t *name_dup(const uint8_t *name)
{
	size_t l = dname_len(name);
	uint8_t *c = malloc(l);
	if (!c) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return memcpy(c, name, l);
}

/* Appends a copy of name to the array *v of *n names (its room doubled
 * whenever *n reaches a power of two). */
static void names_push(uint8_t ***v, size_t *n, const uint8_t *name)
{
	if ((*n & (*n - 1)) == 0) {
		*v = realloc(*v, (*n ? 2 * *n : 1) * sizeof **v);
		if (!*v) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	(*v)[(*n)++] = name_dup(name);
}

struct name_set {		/* open addressing over lowercased wire names */
	uint8_t **slot;
	size_t mask;
};

static void ns_init(struct name_set *h, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap <<= 1;
	h->slot = calloc(cap, sizeof *h->slot);
	h->mask = cap - 1;
}

static bool ns_has(const struct name_set *h, const uint8_t *name)
{
	for (size_t i = dname_hash(name) & h->mask; h->slot[i]; i = (i + 1) & h->mask)
		if (dname_eq(h->slot[i], name))
			return true;
	return false;
}

static void ns_add(struct name_set *h, const uint8_t *name)
{
	size_t i = dname_hash(name) & h->mask;
	for (; h->slot[i]; i = (i + 1) & h->mask)
		if (dname_eq(h->slot[i], name))
			return;
	h->slot[i] = name_dup(name);
}

struct rrref {
	uint8_t *name;
	uint16_t type;
};

struct walk {
	const uint8_t *origin;
	struct name_set cuts;
	struct rrref *hits;
	size_t nhits, caphits;
	uint8_t **cutv;
	size_t ncuts;
	int pass;
};

static bool below_cut(const struct walk *w, const uint8_t *name)
{
	for (const uint8_t *p = name; p && !dname_eq(p, w->origin); p = dname_parent(p))
		if (ns_has(&w->cuts, p))
			return true;
	return false;
}

static int walk_rr(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
		   const uint8_t *rd, uint16_t rdlen)
{
	struct walk *w = ud;
	(void)ttl, (void)rd, (void)rdlen;
	if (w->pass == 0) {
		if (type == RR_NS && !dname_eq(owner, w->origin) && !ns_has(&w->cuts, owner)) {
			ns_add(&w->cuts, owner);
			names_push(&w->cutv, &w->ncuts, owner);
		}
		return 0;
	}
	if (rrtype_is_dnssec(type) || type == RR_SOA || type == RR_NS || below_cut(w, owner))
		return 0;
	if (w->nhits == w->caphits) {
		w->caphits = w->caphits ? 2 * w->caphits : 1 << 16;
		w->hits = realloc(w->hits, w->caphits * sizeof *w->hits);
	}
	/* one entry per RRset: zone_foreach gives records in RRset order */
	if (w->nhits && w->hits[w->nhits - 1].type == type &&
	    dname_eq(w->hits[w->nhits - 1].name, owner))
		return 0;
	w->hits[w->nhits].name = name_dup(owner);
	w->hits[w->nhits++].type = type;
	return 0;
}

/* ---- loading ---- */

static void diag_print(void *ud, enum diag_sev sev, const char *file, unsigned line,
		       const char *msg)
{
	unsigned *shown = ud;
	if (sev == DIAG_ERROR && (*shown)++ < 10)
		fprintf(stderr, "%s:%u: error: %s\n", file ? file : "-", line, msg);
}

static struct zone *load(const char *origin_text, const char *path, const char *extra,
			 size_t *records)
{
	uint8_t origin[DNAME_MAX];
	if (dname_from_text(origin, origin_text, strlen(origin_text), NULL) < 0) {
		fprintf(stderr, "bad origin %s\n", origin_text);
		exit(1);
	}
	unsigned shown = 0;
	struct diag d = { .fn = diag_print, .ud = &shown };
	struct zone *z = zone_new(origin, &d);
	struct zf_options opt = { .origin = origin };
	if (zf_parse_file(path, &opt, zone_add_cb, z, &d) < 0 && !d.errors) {
		fprintf(stderr, "%s: cannot read (%s)\n", path, strerror(errno));
		exit(1);
	}
	if (extra)
		zf_parse_mem("(wildcards)", extra, strlen(extra), &opt, zone_add_cb, z, &d);
	if (zone_finish(z)) {
		fprintf(stderr, "%s: %u errors\n", path, d.errors);
		exit(1);
	}
	struct zone_stats st;
	zone_get_stats(z, &st);
	*records = st.records;
	return z;
}

struct compiled {
	void *image;
	size_t size;
	struct snap *snap;
	double compile_s;
};

static void compile(const struct zone *z, const char *what, struct compiled *c)
{
	char err[256];
	double t0 = now_s();
	if (zc_compile(z, &c->image, &c->size, err, sizeof err) != 0) {
		fprintf(stderr, "%s: zc_compile: %s\n", what, err);
		exit(1);
	}
	c->compile_s = now_s() - t0;
	if (snap_open(c->image, c->size, &c->snap, err, sizeof err) != 0) {
		fprintf(stderr, "%s: snap_open: %s\n", what, err);
		exit(1);
	}
}

/* ---- running ---- */

struct result {
	double secs;		/* the engine's: sum of the calls' times */
	double wall;		/* the timed loop's */
	double p50, p99, max;
	size_t ok;
	uint64_t limited;	/* --rrl: responses slipped or dropped, per pass */
};

/* --rrl: a fresh table of rrl_rate, or NULL without --rrl. */
static struct rrl *rrl_make(void)
{
	char err[256];
	if (!rrl_rate)
		return NULL;
	struct rrl *r = rrl_new(&(struct rrl_conf){ .rate = rrl_rate, .slip = 2, .v4_prefix = 24,
						     .v6_prefix = 56, .table_size = 262144 },
				err, sizeof err);
	if (!r) {
		fprintf(stderr, "--rrl: %s\n", err);
		exit(2);
	}
	return r;
}

/* --rrl: the responses of a call through the rate limiter, as the
 * worker loop passes them. */
static void rrl_call(struct rrl_worker *w, const struct ans_req *req, uint8_t *const *outs,
		     size_t *lens, struct ans_outcome *ocs, size_t m, struct wstats *st)
{
	rrl_burst(w, req, outs, lens, ocs, m, st, rrl_now_ms());
}

/* The offset just past the (possibly compressed) name at r[p], or past
 * len when it runs off the message. */
static size_t skip_name(const uint8_t *r, size_t len, size_t p)
{
	while (p < len) {
		if (r[p] == 0)
			return p + 1;
		if ((r[p] & 0xc0) == 0xc0)
			return p + 2;
		p += 1u + r[p];
	}
	return len + 1;
}

#define TYPE_BIT(t) (1ull << (t))

/* The RR types (below 64) in the authority section of response r, as
 * TYPE_BIT bits; 0 when the message is cut short. */
static uint64_t authority_types(const uint8_t *r, size_t len)
{
	unsigned qd = (unsigned)(r[4] << 8 | r[5]), an = (unsigned)(r[6] << 8 | r[7]);
	unsigned ns = (unsigned)(r[8] << 8 | r[9]);
	size_t p = 12;
	for (unsigned i = 0; i < qd && p <= len; i++)
		p = skip_name(r, len, p) + 4;
	uint64_t bits = 0;
	for (unsigned i = 0; i < an + ns; i++) {
		p = skip_name(r, len, p);
		if (p + 10 > len)
			return 0;
		unsigned type = (unsigned)(r[p] << 8 | r[p + 1]);
		if (i >= an && type < 64)
			bits |= TYPE_BIT(type);
		p += 10u + (unsigned)(r[p + 8] << 8 | r[p + 9]);
	}
	return bits;
}

/* Whether r's authority section has every type of all and, unless any is
 * 0, one of any. */
static bool authority_has(const uint8_t *r, size_t len, uint64_t all, uint64_t any)
{
	uint64_t t = authority_types(r, len);
	return (t & all) == all && (!any || (t & any));
}

static bool outcome_ok(enum expect ex, const uint8_t *r, size_t len)
{
	if (len < 12)
		return false;
	unsigned rcode = r[3] & 15, an = (unsigned)(r[6] << 8 | r[7]);
	unsigned ns = (unsigned)(r[8] << 8 | r[9]);
	bool aa = r[2] & 4;
	bool referral = rcode == 0 && !aa && an == 0 && ns > 0;
	const uint64_t denial = TYPE_BIT(RR_NSEC) | TYPE_BIT(RR_NSEC3);
	switch (ex) {
	case EX_HIT:
		return rcode == 0 && aa && an > 0;
	case EX_NXDOMAIN:
		return rcode == 3 && aa && ns > 0;
	case EX_REFERRAL:
		return referral;
	case EX_ANY_AUTH:
		return (rcode == 0 || rcode == 3) && aa;
	case EX_REF_NS:
		return referral && authority_has(r, len, TYPE_BIT(RR_NS), 0);
	case EX_REF_DS:
		return referral && authority_has(r, len, TYPE_BIT(RR_NS) | TYPE_BIT(RR_DS), 0);
	case EX_REF_DENIAL:
		return referral && authority_has(r, len, TYPE_BIT(RR_NS), denial);
	case EX_NX_DENIAL:
		return rcode == 3 && aa && authority_has(r, len, 0, denial);
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* With burst > 1 the queries go through ans_respond_burst, burst at a
 * time, and a latency sample is one whole burst call (what the last query
 * of a burst waits). */
static void run(const struct zidx *root, const struct ans_cfg *cfg, const struct qset *s,
		unsigned burst, double tns, uint64_t overhead, struct result *res)
{
	/* UDP responses stay within 1232 bytes; 4 KiB + a line apart, so
	 * the buffers of a burst do not all fall in the same cache sets */
	static uint8_t out[ANS_BURST_MAX][4096 + 64];
	struct ans_req req[ANS_BURST_MAX];
	uint8_t *outs[ANS_BURST_MAX];
	size_t caps[ANS_BURST_MAX], lens[ANS_BURST_MAX];
	struct ans_outcome ocs[ANS_BURST_MAX];
	uint8_t peer[ANS_BURST_MAX][4];
	struct rrl_worker rw = { .r = rrl_make() };
	struct wstats st = { 0 };
	for (unsigned j = 0; j < ANS_BURST_MAX; j++) {
		/* from 198.18.0.1 but with --rrl (its clients, below) */
		memcpy(peer[j], (const uint8_t[]){ 198, 18, 0, 1 }, 4);
		req[j] = (struct ans_req){ .tcp = false, .peer_kind = ANS_PEER_IP4, .peer = peer[j] };
		outs[j] = out[j];
		caps[j] = sizeof out[j];
	}
	size_t nsample = (s->n / burst + 1) * repeat;
	uint64_t *sample = malloc(nsample * sizeof *sample);
	size_t k = 0;
	/* warm-up pass in the same mode, also checks the outcomes */
	res->ok = 0;
	for (size_t i = 0; i < s->n; i += burst) {
		size_t m = s->n - i < burst ? s->n - i : burst;
		for (size_t j = 0; j < m; j++) {
			req[j].q = s->buf + (i + j) * QMAX;
			req[j].qlen = s->len[i + j];
		}
		if (burst == 1)
			lens[0] = ans_respond(root, cfg, &req[0], out[0], sizeof out[0], &ocs[0]);
		else
			ans_respond_burst(root, cfg, req, m, outs, caps, lens, ocs);
		for (size_t j = 0; j < m; j++)
			res->ok += outcome_ok((enum expect)s->ex[i + j], out[j], lens[j]);
	}
	/* The receive ring (default): before each call the burst's queries
	 * are copied into the next slots of a ring of RING_SLOTS 2 KiB
	 * buffers, as a NIC writes them into a DPDK mempool's mbufs (with
	 * DDIO, into the last-level cache; here they are in L1/L2).
	 * --cold-packets answers straight from the query set instead, each
	 * packet a DRAM (and TLB) miss.  Every call is timed with the TSC:
	 * the engine's time is their sum; the loop's wall time (copies,
	 * timer reads and interruptions included) is reported beside it. */
	static uint8_t ring[RING_SLOTS][2048];
	size_t slot = 0;
	uint64_t engine = 0;
	double t0 = now_s();
	for (unsigned pass = 0; pass < repeat; pass++)
	for (size_t i = 0; i < s->n; i += burst) {
		size_t m = s->n - i < burst ? s->n - i : burst;
		for (size_t j = 0; j < m; j++) {
			const uint8_t *src = s->buf + (i + j) * QMAX;
			req[j].qlen = s->len[i + j];
			if (cold_packets) {
				req[j].q = src;
			} else {
				memcpy(ring[slot], src, req[j].qlen);
				req[j].q = ring[slot];
				slot = (slot + 1) % RING_SLOTS;
			}
		}
		for (size_t j = 0; rw.r && j < m; j++) {
			size_t k = (i + j) % rrl_clients;
			memcpy(peer[j], (uint8_t[4]){ 10, (uint8_t)(k >> 8), (uint8_t)k, 1 }, 4);
		}
		/* as a DPDK receive loop does (rte_prefetch0 on the next mbufs):
		 * the next burst's packets */
		if (burst > 1)
			for (size_t j = i + burst; j < i + 2 * burst && j < s->n; j++)
				__builtin_prefetch(s->buf + j * QMAX);
		uint64_t c0 = ticks();
		uint32_t tm = tap ? dt_burst_queries(tap, req, (unsigned)m) : 0;
		if (burst == 1)
			lens[0] = ans_respond(root, cfg, &req[0], out[0], sizeof out[0], &ocs[0]);
		else
			ans_respond_burst(root, cfg, req, m, outs, caps, lens, ocs);
		if (rw.r)
			rrl_call(&rw, req, outs, lens, ocs, m, &st);
		if (tm)
			dt_burst_responses(tap, req, outs, lens, tm);
		uint64_t c = ticks() - c0;
		c = c > overhead ? c - overhead : 0;
		engine += c;
		if (k < nsample)
			sample[k++] = c;
	}
	res->wall = (now_s() - t0) / repeat;
	res->secs = (double)engine * tns / 1e9 / repeat;
	qsort(sample, k, sizeof *sample, cmp_u64);
	res->p50 = (double)sample[k / 2] * tns;
	res->p99 = (double)sample[k * 99 / 100] * tns;
	res->max = (double)sample[k - 1] * tns;
	res->limited = (st.rrl_slipped + st.rrl_dropped) / repeat;
	rrl_free(rw.r);
	free(sample);
}

static uint64_t timer_overhead(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 100000; i++) {
		uint64_t c0 = ticks();
		uint64_t c = ticks() - c0;
		if (c < best)
			best = c;
	}
	return best;
}

static void usage(void)
{
	fprintf(stderr, "usage: answer_bench [--zone FILE] [--origin NAME] [--queries N]\n"
			"         [--cpu N] [--signed DIR] [--burst N] [--compile-only] [--seed N]\n"
			"         [--repeat N] [--cold-packets] [--cookie] [--hit-type TYPE] [--only CLASS] (a class name's first word: hit, nxdomain, wildcard,\n"
			"         referral, DO, mix, tld; repeatable)\n"
			"         [--tld-zone FILE] [--tld-origin NAME] (default bench-tld.)\n"
			"         [--dnstap FILE [--dnstap-sample N]]\n"
			"         [--rrl RATE] (responses rate-limited at RATE/s per bucket)\n"
			"         [--rrl-clients N] (client /24s the queries come from; 65536)\n");
	exit(2);
}

/* The command line (see the head of this file). */
struct opts {
	const char *zpath, *origin, *sdir;
	const char *tld_zone, *tld_origin;	/* --tld-zone: the TLD classes */
	size_t nq;
	int cpu;
	unsigned burst;
	bool compile_only;
	uint16_t hit_type;	/* --hit-type: hits of this type only */
	const char *only[8];
	int nonly;
	const char *dnstap;	/* --dnstap FILE */
	unsigned dnstap_sample;
};

/* Reads the options into o (rng, repeat and cold_packets are globals);
 * returns 0, or an exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .zpath = "bench/out/zone-1000000.zone", .origin = "example.com.",
			    .sdir = "tests/data/answer", .tld_origin = "bench-tld.", .nq = 1000000,
			    .cpu = 1, .burst = 1, .dnstap_sample = 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--cold-packets")) {
			cold_packets = true;
			continue;
		}
		if (!strcmp(a, "--cookie")) {
			with_cookie = true;
			continue;
		}
		if (!strcmp(a, "--compile-only")) {
			o->compile_only = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--zone"))
			o->zpath = v;
		else if (!strcmp(a, "--origin"))
			o->origin = v;
		else if (!strcmp(a, "--queries"))
			o->nq = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--cpu"))
			o->cpu = atoi(v);
		else if (!strcmp(a, "--signed"))
			o->sdir = v;
		else if (!strcmp(a, "--tld-zone"))
			o->tld_zone = v;
		else if (!strcmp(a, "--tld-origin"))
			o->tld_origin = v;
		else if (!strcmp(a, "--burst"))
			o->burst = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--seed"))
			rng = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--hit-type")) {
			if (rrtype_from_text(v, strlen(v), &o->hit_type) != 0) {
				fprintf(stderr, "--hit-type: unknown type %s\n", v);
				return 2;
			}
		}
		else if (!strcmp(a, "--repeat"))
			repeat = (unsigned)strtoul(v, NULL, 10) ? (unsigned)strtoul(v, NULL, 10) : 1;
		else if (!strcmp(a, "--dnstap"))
			o->dnstap = v;
		else if (!strcmp(a, "--dnstap-sample"))
			o->dnstap_sample = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--rrl"))
			rrl_rate = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--rrl-clients"))
			rrl_clients = (unsigned)strtoul(v, NULL, 10) ? (unsigned)strtoul(v, NULL, 10) : 1;
		else if (!strcmp(a, "--only") && o->nonly < 8)
			o->only[o->nonly++] = v;
		else
			usage();
	}
	if (o->nq < 1000)
		o->nq = 1000;
	if (o->burst < 1 || o->burst > ANS_BURST_MAX) {
		fprintf(stderr, "--burst: 1 to %d\n", ANS_BURST_MAX);
		return 2;
	}
	if (o->dnstap && (o->burst > 32 || o->dnstap_sample < 1)) {
		fprintf(stderr, "--dnstap: --burst 32 at most, --dnstap-sample 1 at least\n");
		return 2;
	}
	return 0;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		fprintf(stderr, "answer_bench: cannot pin to CPU %d: %s (running unpinned)\n",
			cpu, strerror(errno));
}

/* The big zone, with WILDCARDS wildcards *.wcN added, loaded and compiled
 * (the figures printed); its record count in *records. */
static struct zone *load_big(const struct opts *o, struct compiled *big, size_t *records)
{
	char *extra = malloc(WILDCARDS * 80);
	extra[0] = 0;
	for (int i = 0; i < WILDCARDS; i++)
		sprintf(extra + strlen(extra), "*.wc%d 3600 IN A 192.0.2.%d\n", i, i + 1);
	double t0 = now_s();
	struct zone *z = load(o->origin, o->zpath, extra, records);
	double load_s = now_s() - t0;
	free(extra);
	compile(z, o->zpath, big);
	printf("## answer_bench\n\n");
	printf("zone %s (%s): %zu records, loaded in %.2f s; compiled in %.2f s; "
	       "snapshot %.1f MB (%.1f MB per million records)\n\n",
	       o->zpath, o->origin, *records, load_s, big->compile_s, big->size / 1e6,
	       big->size / 1e6 / ((double)*records / 1e6));
	return z;
}

/* The signed test zones. */
static const char *const signed_zones[2][2] = { { "nsec.zone", "example.org." },
						{ "nsec3.zone", "example.net." } };

static void load_signed(const char *sdir, struct compiled sc[2], struct zone *szone[2])
{
	for (int i = 0; i < 2; i++) {
		char p[1024];
		size_t r;
		snprintf(p, sizeof p, "%s/%s", sdir, signed_zones[i][0]);
		szone[i] = load(signed_zones[i][1], p, NULL, &r);
		compile(szone[i], p, &sc[i]);
	}
}

/* The names of the big zone (hosts, delegations) in *w; returns 0, or an
 * exit status when the zone lacks what the classes need. */
static int walk_zone(const struct opts *o, struct zone *z, size_t records, uint8_t *origin,
		     struct walk *w)
{
	dname_from_text(origin, o->origin, strlen(o->origin), NULL);
	*w = (struct walk){ 0 };
	w->origin = origin;
	ns_init(&w->cuts, records / 8 + 16);
	zone_foreach(z, walk_rr, w);
	w->pass = 1;
	zone_foreach(z, walk_rr, w);
	size_t typed = 0;
	for (size_t j = 0; o->hit_type && j < w->nhits; j++)
		typed += w->hits[j].type == o->hit_type;
	if (o->hit_type && !typed) {
		fprintf(stderr, "--hit-type: the zone has no RRset of that type outside delegations\n");
		return 1;
	}
	if (!w->nhits || !w->ncuts) {
		fprintf(stderr, "zone has no hosts or no delegations\n");
		return 1;
	}
	return 0;
}

enum {
	C_HIT, C_NX, C_WILD, C_REF, C_NSEC, C_NSEC3, C_MIX,
	C_TLD_REF, C_TLD_REF_DS, C_TLD_NX, C_TLD_APEX, C_TLD_MIX,	/* --tld-zone */
	NCLASS
};

/* The classes on the big zone: hits, NXDOMAIN random subdomains, wildcard
 * answers, referrals; half of each with EDNS. */
static void build_big_sets(const struct opts *o, const struct walk *w, const uint8_t *origin,
			   struct qset *qs)
{
	qset_init(&qs[C_HIT], "hit", EX_HIT, o->nq);
	qset_init(&qs[C_NX], "nxdomain (random subdomain)", EX_NXDOMAIN, o->nq);
	qset_init(&qs[C_WILD], "wildcard", EX_HIT, o->nq);
	qset_init(&qs[C_REF], "referral", EX_REFERRAL, o->nq);
	uint8_t name[DNAME_MAX], tmp[DNAME_MAX];
	char label[64];
	for (size_t i = 0; i < o->nq; i++) {
		const struct rrref *h = &w->hits[rnd() % w->nhits];
		while (o->hit_type && h->type != o->hit_type)
			h = &w->hits[rnd() % w->nhits];
		qset_add(&qs[C_HIT], h->name, h->type, i & 1, false);

		snprintf(label, sizeof label, "nx%012llx", (unsigned long long)(rnd() >> 16));
		prepend(name, label, origin);
		qset_add(&qs[C_NX], name, RR_A, i & 1, false);

		snprintf(label, sizeof label, "wc%u", (unsigned)(rnd() % WILDCARDS));
		prepend(tmp, label, origin);
		snprintf(label, sizeof label, "w%010llx", (unsigned long long)(rnd() >> 24));
		prepend(name, label, tmp);
		qset_add(&qs[C_WILD], name, RR_A, i & 1, false);

		snprintf(label, sizeof label, "h%08x", (unsigned)rnd());
		prepend(name, label, w->cutv[rnd() % w->ncuts]);
		qset_add(&qs[C_REF], name, RR_A, i & 1, false);
	}
}

/* DO-bit queries on the signed zones: a quarter each of hits, NXDOMAIN,
 * wildcard answers and NODATA. */
static void build_signed_sets(size_t nq, struct qset *qs)
{
	qset_init(&qs[C_NSEC], "DO, NSEC zone (hit/nx/wild/nodata)", EX_ANY_AUTH, nq);
	qset_init(&qs[C_NSEC3], "DO, NSEC3 zone (hit/nx/wild/nodata)", EX_ANY_AUTH, nq);
	uint8_t name[DNAME_MAX], tmp[DNAME_MAX];
	char label[64];
	for (int zi = 0; zi < 2; zi++) {
		const char *so = signed_zones[zi][1];
		uint8_t sorig[DNAME_MAX];
		dname_from_text(sorig, so, strlen(so), NULL);
		for (size_t i = 0; i < nq; i++) {
			static const char *const hosts[] = { "www", "mail", "ns1", "sip", "alias" };
			uint16_t type = RR_A;
			switch (rnd() % 4) {
			case 0:
				prepend(name, hosts[rnd() % 5], sorig);
				break;
			case 1:
				snprintf(label, sizeof label, "nx%012llx",
					 (unsigned long long)(rnd() >> 16));
				prepend(name, label, sorig);
				break;
			case 2:
				prepend(tmp, "wild", sorig);
				snprintf(label, sizeof label, "w%08x", (unsigned)rnd());
				prepend(name, label, tmp);
				break;
			default:
				prepend(name, "www", sorig);
				type = RR_MX;
			}
			qset_add(&qs[zi ? C_NSEC3 : C_NSEC], name, type, true, true);
		}
	}
}

/* The mix: equal parts of every class, shuffled. */
static void build_mix(size_t nq, struct qset *qs)
{
	qset_init(&qs[C_MIX], "mix (all of the above, shuffled)", EX_ANY_AUTH, nq);
	for (size_t i = 0; i < nq; i++) {
		const struct qset *from = &qs[rnd() % C_MIX];
		size_t j = rnd() % from->n;
		memcpy(qs[C_MIX].buf + i * QMAX, from->buf + j * QMAX, QMAX);
		qs[C_MIX].ex[qs[C_MIX].n] = from->ex[j];
		qs[C_MIX].len[qs[C_MIX].n++] = from->len[j];
	}
}

/* ---- the TLD-shaped zone (--tld-zone) ---- */

#define TLD_DO_PCT 70		/* the TLD queries with the DO bit (all have EDNS) */

/* The TLD zone, compiled, and the names its classes draw from. */
struct tld {
	uint8_t origin[DNAME_MAX];
	struct zone *z;
	struct compiled c;
	uint8_t **cutv, **dsv;	/* every delegation; those with a DS */
	size_t ncuts, nds;
	struct name_set ds;	/* owners of DS records */
	bool dnssec;		/* signed: DO referrals carry a DS or a proof of none */
	bool dnskey;		/* a DNSKEY at the apex, asked for by the apex class */
};

static int tld_walk_rr(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
		       const uint8_t *rd, uint16_t rdlen)
{
	struct tld *t = ud;
	(void)ttl, (void)rd, (void)rdlen;
	bool apex = dname_eq(owner, t->origin);
	/* zone_foreach gives an owner's records together: one entry per cut */
	if (type == RR_NS && !apex && (!t->ncuts || !dname_eq(t->cutv[t->ncuts - 1], owner)))
		names_push(&t->cutv, &t->ncuts, owner);
	else if (type == RR_DS)
		ns_add(&t->ds, owner);
	else if (type == RR_DNSKEY && apex)
		t->dnskey = true;
	return 0;
}

/* Loads and compiles --tld-zone and collects its delegations (the figures
 * printed). */
static void load_tld(const struct opts *o, struct tld *t)
{
	*t = (struct tld){ 0 };
	size_t records;
	double t0 = now_s();
	t->z = load(o->tld_origin, o->tld_zone, NULL, &records);
	double load_s = now_s() - t0;
	compile(t->z, o->tld_zone, &t->c);
	dname_from_text(t->origin, o->tld_origin, strlen(o->tld_origin), NULL);
	struct zone_stats st;
	zone_get_stats(t->z, &st);
	t->dnssec = st.dnssec;
	ns_init(&t->ds, records / 2 + 16);	/* a DS owner has an NS too */
	zone_foreach(t->z, tld_walk_rr, t);
	if (!t->ncuts) {
		fprintf(stderr, "%s: no delegations\n", o->tld_zone);
		exit(1);
	}
	for (size_t i = 0; i < t->ncuts; i++)
		if (ns_has(&t->ds, t->cutv[i]))
			names_push(&t->dsv, &t->nds, t->cutv[i]);
	printf("tld zone %s (%s): %zu records, %zu delegations (%zu with DS), %s; loaded in "
	       "%.2f s; compiled in %.2f s; snapshot %.1f MB (%.0f bytes per delegation); "
	       "its queries have EDNS, %d %% of them DO\n\n",
	       o->tld_zone, o->tld_origin, records, t->ncuts, t->nds,
	       st.nsec3 ? "signed (NSEC3)" : st.dnssec ? "signed (NSEC)" : "unsigned", load_s,
	       t->c.compile_s, t->c.size / 1e6, (double)t->c.size / (double)t->ncuts,
	       TLD_DO_PCT);
}

enum tld_kind { TK_REF, TK_REF_DS, TK_NX, TK_APEX };

/* Appends one query of kind k on the TLD zone to s, with EDNS, DO on
 * TLD_DO_PCT % of them, and the outcome it expects: a referral (below a
 * delegation; with DO on a signed zone, with the DS or the NSEC/NSEC3 proof
 * that there is none: RFC 4035 section 3.1.4, RFC 5155 section 7.2.7),
 * NXDOMAIN (a random label under the apex; with DO, NSEC/NSEC3 records),
 * or an answer at the apex. */
static void tld_add(struct qset *s, const struct tld *t, enum tld_kind k)
{
	static const uint16_t apex_types[] = { RR_SOA, RR_NS, RR_DNSKEY };
	bool dnssec = rnd() % 100 < TLD_DO_PCT, proof = dnssec && t->dnssec;
	uint8_t name[DNAME_MAX];
	char label[32];
	uint16_t type = RR_A;
	enum expect ex;
	if (k == TK_REF || k == TK_REF_DS) {
		const uint8_t *cut = k == TK_REF_DS ? t->dsv[rnd() % t->nds] :
						      t->cutv[rnd() % t->ncuts];
		prepend(name, "www", cut);
		ex = !proof ? EX_REF_NS : ns_has(&t->ds, cut) ? EX_REF_DS : EX_REF_DENIAL;
	} else if (k == TK_NX) {
		snprintf(label, sizeof label, "nx%012llx", (unsigned long long)(rnd() >> 16));
		prepend(name, label, t->origin);
		ex = proof ? EX_NX_DENIAL : EX_NXDOMAIN;
	} else {
		memcpy(name, t->origin, dname_len(t->origin));
		type = apex_types[rnd() % (t->dnskey ? 3 : 2)];
		ex = EX_HIT;
	}
	qset_add(s, name, type, true, dnssec);
	s->ex[s->n - 1] = (uint8_t)ex;
}

/* The TLD classes: referrals (to any delegation; to those with a DS only),
 * NXDOMAIN, apex queries (SOA, NS, DNSKEY when signed), and the mix:
 * 60 % referrals, 30 % NXDOMAIN, 10 % apex, as bench/tld_gen.py's queries. */
static void build_tld_sets(size_t nq, const struct tld *t, struct qset *qs)
{
	qset_init(&qs[C_TLD_REF], "tld-referral (www.DELEGATION)", EX_REF_NS, nq);
	if (t->nds)
		qset_init(&qs[C_TLD_REF_DS], "tld-referral-ds (delegations with DS)", EX_REF_NS,
			  nq);
	qset_init(&qs[C_TLD_NX], "tld-nxdomain (random label)", EX_NXDOMAIN, nq);
	qset_init(&qs[C_TLD_APEX], "tld-apex (SOA, NS, DNSKEY)", EX_HIT, nq);
	qset_init(&qs[C_TLD_MIX], "tld mix (60 % referral, 30 % nxdomain, 10 % apex)",
		  EX_ANY_AUTH, nq);
	for (size_t i = 0; i < nq; i++) {
		tld_add(&qs[C_TLD_REF], t, TK_REF);
		if (t->nds)
			tld_add(&qs[C_TLD_REF_DS], t, TK_REF_DS);
		tld_add(&qs[C_TLD_NX], t, TK_NX);
		tld_add(&qs[C_TLD_APEX], t, TK_APEX);
		unsigned r = (unsigned)(rnd() % 10);
		tld_add(&qs[C_TLD_MIX], t, r < 6 ? TK_REF : r < 9 ? TK_NX : TK_APEX);
	}
}

static void free_tld(struct tld *t)
{
	snap_close(t->c.snap);
	free(t->c.image);
	zone_free(t->z);
}

/* Whether --only selects the class called name (every class without it). */
static bool wanted(const struct opts *o, const char *name)
{
	bool want = o->nonly == 0;
	for (int k = 0; k < o->nonly; k++)
		want |= !strncmp(name, o->only[k], strlen(o->only[k]));
	return want;
}

/* Runs the classes --only selects and prints the table. */
static void run_all(const struct opts *o, const struct zidx *root, const struct qset *qs)
{
	static const struct ck_keys keys = { .cur = "0123456789abcdef" };
	const struct ans_cfg shared = { .max_udp = 1232, .cookie_keys = with_cookie ? &keys : NULL };
	struct ans_cfg cfg;
	char err[256];
	if (ck_thread_cfg(&cfg, &shared, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	double tns = tick_ns();
	uint64_t ovh = timer_overhead();
	if (o->burst > 1)
		printf("--burst %u: ans_respond_burst, %u queries a call; latency figures are "
		       "per burst call\n\n", o->burst, o->burst);
	printf("CPU %d, %zu queries per class x %u pass(es), packets %s; every call timed "
	       "with the %s (timer overhead %.0f ns subtracted).\n"
	       "answers/s: queries / the calls' summed time; at p50: queries per call / "
	       "the median call's time; loop: queries / the timed loop's wall time "
	       "(packet copies, timer reads and interruptions included)\n\n",
	       o->cpu, o->nq, repeat, cold_packets ? "read cold from the query set" :
	       "copied into a 1024-slot receive ring before each call",
	       HAVE_TSC ? "TSC" : "clock_gettime", (double)ovh * tns);
	if (rrl_rate)
		printf("--rrl %u: every response through the rate limiter (slip 2, %u client "
		       "/24s), timed with the engine; 'limited': responses slipped or "
		       "dropped\n\n", rrl_rate, rrl_clients);
	printf("| class | answers/s | ns/query (mean) | answers/s at p50 | p50 ns | p99 ns | "
	       "max ns | answers/s (loop) | expected outcome |%s\n", rrl_rate ? " limited |" : "");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", rrl_rate ? "---:|" : "");
	double tot_s = 0;
	size_t tot_n = 0;
	for (int c = 0; c < NCLASS; c++) {
		if (c == C_TLD_REF && tot_n)
			printf("| **total** (classes above the mix) | %.2f M | %.1f | | | | | | |\n",
			       tot_n / tot_s / 1e6, tot_s * 1e9 / tot_n);
		if (!qs[c].name || !wanted(o, qs[c].name))
			continue;
		struct result r;
		run(root, &cfg, &qs[c], o->burst, tns, ovh, &r);
		printf("| %s | %.2f M | %.1f | %.2f M | %.0f | %.0f | %.0f | %.2f M | %.1f%% |",
		       qs[c].name, qs[c].n / r.secs / 1e6, r.secs * 1e9 / qs[c].n,
		       o->burst * 1e3 / r.p50, r.p50, r.p99, r.max, qs[c].n / r.wall / 1e6,
		       100.0 * r.ok / qs[c].n);
		if (rrl_rate)
			printf(" %.1f%% |", 100.0 * (double)r.limited / (double)qs[c].n);
		printf("\n");
		if (c < C_MIX) {
			tot_s += r.secs;
			tot_n += qs[c].n;
		}
		fflush(stdout);
	}
	ck_thread_cfg_fini(&cfg);
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	/* fstrm's writer thread is started before the pinning: it runs on
	 * another CPU, as it does beside a server's pinned workers */
	struct dt_srv *dts = NULL;
	if (o.dnstap) {
		char err[256];
		struct dt_opts to = { .file = o.dnstap, .sample = o.dnstap_sample, .queries = true,
				      .responses = true, .version = "answer_bench", .threads = 1 };
		if (dt_open(&dts, &to, err, sizeof err) != 0) {
			fprintf(stderr, "answer_bench: %s\n", err);
			return 1;
		}
		tap = dt_attach(dts, &tap_st);
		printf("dnstap to %s, 1 query in %u\n\n", o.dnstap, o.dnstap_sample);
	}
	pin(o.cpu);
	size_t records;
	struct compiled big;
	struct zone *z = load_big(&o, &big, &records);
	struct tld tld;
	if (o.tld_zone)
		load_tld(&o, &tld);
	if (o.compile_only)
		return 0;
	struct compiled sc[2];
	struct zone *szone[2];
	load_signed(o.sdir, sc, szone);
	struct snap *snaps[4] = { big.snap, sc[0].snap, sc[1].snap,
				  o.tld_zone ? tld.c.snap : NULL };
	struct zidx *root = zidx_new(snaps, o.tld_zone ? 4 : 3);
	if (!root) {
		fprintf(stderr, "zidx_new failed\n");
		return 1;
	}
	struct walk w;
	uint8_t origin[DNAME_MAX];
	rc = walk_zone(&o, z, records, origin, &w);
	if (rc)
		return rc;

	static struct qset qs[NCLASS];
	build_big_sets(&o, &w, origin, qs);
	build_signed_sets(o.nq, qs);
	build_mix(o.nq, qs);
	if (o.tld_zone)
		build_tld_sets(o.nq, &tld, qs);
	run_all(&o, root, qs);
	if (dts) {
		dt_close(dts);
		printf("\ndnstap: %llu messages sent, %llu dropped (the writer behind)\n",
		       (unsigned long long)tap_st.dnstap_sent,
		       (unsigned long long)tap_st.dnstap_dropped);
	}

	zidx_free(root);
	snap_close(big.snap);
	free(big.image);
	for (int i = 0; i < 2; i++) {
		snap_close(sc[i].snap);
		free(sc[i].image);
		zone_free(szone[i]);
	}
	zone_free(z);
	if (o.tld_zone)
		free_tld(&tld);
	return 0;
}
