/*
 * answer.h - the answer engine: a pure function from (zone index, query
 * bytes, transport facts) to response bytes in the caller's buffer.  No I/O,
 * allocation, locks or globals; safe to call from any number of threads on
 * the same zone index.
 */
#ifndef RINGDNS_ANSWER_H
#define RINGDNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/snap.h"

/* Server-wide answer settings (read-only while serving). */
struct ans_cfg {
	uint16_t max_udp;	/* EDNS payload ceiling, default 1232 */
	const char *nsid;	/* RFC 5001 NSID payload, NULL = off */
	uint16_t nsid_len;
	const char *identity;	/* CHAOS id.server / hostname.bind, NULL = hidden */
	const char *version;	/* CHAOS version.bind / version.server, NULL = hidden */
};

/* What the transport knows about one query. */
struct ans_req {
	const uint8_t *q;	/* query message */
	size_t qlen;
	bool tcp;		/* TCP: no truncation, 65535 limit */
};

/*
 * Answers one query.  Writes the response into out[0..outcap) (outcap >=
 * 512; 65535 for TCP) and returns its length, or 0 when the query must be
 * dropped (too short to reply to, QR set).
 */
size_t ans_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, uint8_t *out, size_t outcap);

/* Queries ans_respond_burst pipelines together (longer bursts are cut). */
#define ANS_BURST_MAX 64

/*
 * Answers reqs[0..n) into outs[i][0..outcaps[i]), lengths in lens[i] (0 =
 * drop), byte for byte what ans_respond gives for each.  The lookups of the
 * whole burst are pipelined with prefetches, so their cache misses overlap
 * (answer.c, burst()); 16 to 64 queries is the useful range.
 */
void ans_respond_burst(const struct zidx *root, const struct ans_cfg *cfg,
		       const struct ans_req *reqs, size_t n, uint8_t *const *outs,
		       const size_t *outcaps, size_t *lens);

#endif
