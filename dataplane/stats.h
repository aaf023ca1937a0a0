/*
 * stats.h - the dataplane's side of the per-worker counters (layout and
 * names in common/stats.h): the increments, and the counting of one
 * answered query from the outcome the engine reported, so that counting
 * never reads the packet again.  Each struct wstats is written by one
 * thread only (relaxed atomic stores: plain adds in the generated code)
 * and read by the main thread when ringctl asks; no lock, no cache line
 * shared between workers.
 */
#ifndef RINGDNS_DP_STATS_H
#define RINGDNS_DP_STATS_H

#include <stdint.h>

#include "common/stats.h"
#include "dataplane/answer.h"

#define ST_INC(field) __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
#define ST_ADD(field, n) __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)

/* Maps a QTYPE to its counter. */
static inline enum st_qtype st_qtype_of(uint16_t t)
{
	switch (t) {
	case 1: return STQ_A;
	case 2: return STQ_NS;
	case 5: return STQ_CNAME;
	case 6: return STQ_SOA;
	case 12: return STQ_PTR;
	case 15: return STQ_MX;
	case 16: return STQ_TXT;
	case 28: return STQ_AAAA;
	case 33: return STQ_SRV;
	case 43: return STQ_DS;
	case 48: return STQ_DNSKEY;
	case 65: return STQ_HTTPS;
	case 255: return STQ_ANY;
	default: return STQ_OTHER;
	}
}

/* Counts a query on transport tr that got no response. */
static inline void st_count_drop(struct wstats *s, enum st_tr tr)
{
	ST_INC(s->queries[tr]);
	ST_INC(s->dropped);
}

/* Counts a TCP transfer query handed to the control process (which
 * answers it). */
static inline void st_count_xfr(struct wstats *s)
{
	ST_INC(s->queries[ST_TCP]);
}

/* Maps a header RCODE to its zone counter. */
static inline enum st_zrcode st_zrcode_of(unsigned rcode)
{
	switch (rcode & 15) {
	case 0: return STZ_NOERROR;
	case 2: return STZ_SERVFAIL;
	case 3: return STZ_NXDOMAIN;
	case 5: return STZ_REFUSED;
	default: return STZ_OTHER;
	}
}

/* Counts one query into its zone's counters (zs: the thread's slots,
 * NULL when per-zone counters are off). */
static inline void st_count_zone(struct zstats *zs, enum st_tr tr, const struct ans_outcome *oc)
{
	if (!zs)
		return;
	struct zstats *z = &zs[oc->zslot];
	ST_INC(z->queries[tr]);
	if (oc->dropped)
		return;
	ST_INC(z->responses[tr]);
	ST_INC(z->rcode[st_zrcode_of(oc->rcode)]);
}

/* Counts one query on transport tr by its outcome: dropped, or a
 * response with its header RCODE, TC and the question's type; and in
 * its zone's counters zs (NULL: off). */
static inline void st_count(struct wstats *s, struct zstats *zs, enum st_tr tr,
			    const struct ans_outcome *oc)
{
	st_count_zone(zs, tr, oc);
	if (oc->dropped) {
		st_count_drop(s, tr);
		return;
	}
	ST_INC(s->queries[tr]);
	ST_INC(s->responses[tr]);
	ST_INC(s->rcode[oc->rcode & 15]);
	if (oc->tc)
		ST_INC(s->truncated);
	ST_INC(s->qtype[st_qtype_of(oc->qtype)]);
}

#endif
