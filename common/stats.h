/*
 * stats.h - per-worker query counters.  The dataplane's workers write
 * them and the control process reports them, so both share this layout.
 * Each struct is written by one thread only (relaxed atomic stores: plain
 * adds in the generated code) and read by the publisher when ringctl asks;
 * no lock, no cache line shared between workers.
 */
#ifndef RINGDNS_STATS_H
#define RINGDNS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* query types counted on their own; everything else is "other" */
enum st_qtype {
	STQ_A, STQ_NS, STQ_CNAME, STQ_SOA, STQ_PTR, STQ_MX, STQ_TXT, STQ_AAAA,
	STQ_SRV, STQ_DS, STQ_DNSKEY, STQ_HTTPS, STQ_ANY, STQ_OTHER, STQ_COUNT
};

enum st_tr { ST_UDP, ST_TCP, ST_TR_COUNT };

struct wstats {
	uint64_t queries[ST_TR_COUNT];	/* packets/messages received */
	uint64_t responses[ST_TR_COUNT];	/* responses sent */
	uint64_t rcode[16];		/* responses by (header) RCODE */
	uint64_t qtype[STQ_COUNT];	/* answered queries by QTYPE */
	uint64_t truncated;		/* UDP responses with TC=1 */
	uint64_t dropped;		/* queries not answered (malformed, QR=1, send error) */
	uint64_t tcp_conns;		/* TCP connections accepted */
	uint64_t tcp_refused;		/* TCP connections refused by a limit */
	char pad[64];			/* keeps the next worker's counters off this line */
} __attribute__((aligned(64)));

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

/*
 * Counts one response of len bytes (a reply to query q of qlen bytes) on
 * transport tr: rcode, TC and the question's type, read from the bytes.
 * len 0 counts a drop.
 */
static inline void st_count(struct wstats *s, enum st_tr tr, const uint8_t *q, size_t qlen,
			    const uint8_t *r, size_t len)
{
	ST_INC(s->queries[tr]);
	if (len < 12) {
		ST_INC(s->dropped);
		return;
	}
	ST_INC(s->responses[tr]);
	ST_INC(s->rcode[r[3] & 15]);
	if (r[2] & 2)
		ST_INC(s->truncated);
	/* the question's type: skip the name (uncompressed in a query we answered) */
	size_t p = 12;
	while (p < qlen && q[p] != 0 && q[p] < 64)
		p += (size_t)q[p] + 1;
	if (p + 3 <= qlen && q[p] == 0)
		ST_INC(s->qtype[st_qtype_of((uint16_t)(q[p + 1] << 8 | q[p + 2]))]);
	else
		ST_INC(s->qtype[STQ_OTHER]);
}

/* Adds every counter of b into a (a read of a live struct: relaxed loads). */
static inline void st_sum(struct wstats *a, const struct wstats *b)
{
	const uint64_t *src = (const uint64_t *)b;
	uint64_t *dst = (uint64_t *)a;
	for (size_t i = 0; i < offsetof(struct wstats, pad) / sizeof(uint64_t); i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* The counter's name in reports. */
static inline const char *st_qtype_str(enum st_qtype t)
{
	static const char *const name[STQ_COUNT] = {
		"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "DNSKEY",
		"HTTPS", "ANY", "other" };
	return t < STQ_COUNT ? name[t] : "?";
}

#endif
