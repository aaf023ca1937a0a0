/*
 * stats.h - the layout of the per-worker query counters and their names
 * in reports: the dataplane's workers write them (dataplane/stats.h),
 * ringdns sends them over the control channel (IPC_STATS), and the
 * control process sums and reports them.  Each struct is written by one thread only.
 */
#ifndef RINGDNS_STATS_H
#define RINGDNS_STATS_H

#include <stddef.h>
#include <stdint.h>

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
