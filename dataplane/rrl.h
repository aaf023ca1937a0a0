/*
 * rrl.h - Response Rate Limiting for UDP responses, with the semantics
 * of BIND's rate-limit and Knot's rrl module: a token bucket per
 * (client prefix, response class, name), `rate` responses per second
 * each with a burst of one second's worth; a response over the rate is
 * dropped, or every `slip`-th one sent truncated (TC=1, no records) so
 * that a real client behind a spoofed source retries over TCP, where
 * spoofing is impossible.
 *
 * Buckets.  The client is its source address masked to a prefix (IPv4
 * /24 and IPv6 /56 by default).  The response is classified from the
 * response itself, as BIND does ("identical responses"): an answer is
 * keyed by its question name and type; NXDOMAIN and NODATA by the zone
 * (the owner of the SOA in the authority section), so a random-subdomain
 * flood of one zone shares one bucket; a referral by the delegation (the
 * owner of the NS RRset); every error (FORMERR, SERVFAIL, REFUSED...) by
 * the client prefix alone.  Names are compared case-insensitively.
 *
 * State shared by all workers.  One table of buckets, allocated at start
 * and fixed in size, shared by every worker and updated with a
 * compare-and-swap of one 64-bit word per bucket: no lock, and a client
 * whose queries are spread over several cores (spoofed sources in one
 * prefix hashed by RSS to every queue) is held to the configured total
 * rate, not the rate times the cores.  Per-core tables combined after the
 * fact would either share the rate out (wrong whenever traffic is uneven)
 * or need the same cross-core reads; contention on a bucket's cache line
 * only happens for a key hit from several cores at once, which is the
 * flood being limited.  The table is set-associative: a key hashes (with a
 * random seed, so sources cannot choose collisions) to a set of 8 buckets
 * in one cache line and a 16-bit tag; a new key takes the set's
 * least recently used bucket.  A bucket word holds the tag, the time of
 * its last update (milliseconds, modulo 2^20: a bucket left alone for a
 * multiple of 17.5 minutes can look recent, which costs its key at most
 * one second of reduced rate) and its tokens in thousandths.
 *
 * Exempt: allow-listed prefixes, queries with a valid server cookie (RFC
 * 7873 §5.2.3 makes a spoofed source impossible), TCP (never passed
 * here).  Log-only mode decides and counts what would be limited but
 * sends every response unchanged.
 */
#ifndef RINGDNS_RRL_H
#define RINGDNS_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/cfg.h"
#include "common/stats.h"
#include "dataplane/answer.h"

/* What a response is, for its bucket. */
enum rrl_class {
	RRL_ANSWER,		/* NOERROR with records in the answer section */
	RRL_NODATA,		/* NOERROR, authoritative, no answer */
	RRL_NXDOMAIN,
	RRL_REFERRAL,		/* NOERROR, not authoritative, no answer */
	RRL_ERROR,		/* any other RCODE */
	RRL_CLASS_COUNT
};

/* The class's name in logs ("nxdomain"). */
const char *rrl_class_str(unsigned cls);

/* What becomes of one response. */
enum rrl_action {
	RRL_PASS,		/* within the rate (or exempt): sent */
	RRL_WOULD,		/* over the rate in log-only mode: sent unchanged */
	RRL_SLIP,		/* over the rate: sent truncated */
	RRL_DROP,		/* over the rate: not sent */
};

#define RRL_RATE_MAX 100000	/* responses/s per bucket */
#define RRL_SLIP_MAX 100
#define RRL_SET 8		/* buckets per set (one cache line) */

#define RRL_UNLIMITED 0xffffffffu	/* a class_rate: the class is not limited */

struct rrl_conf {
	unsigned rate;		/* responses per second per bucket, 1..RRL_RATE_MAX */
	/* the rate of a class's buckets (as BIND's nxdomains-per-second...):
	 * 0: rate; 1..RRL_RATE_MAX; RRL_UNLIMITED: never limited */
	unsigned class_rate[RRL_CLASS_COUNT];
	unsigned slip;		/* 0: drop all; 1: truncate all; N: every Nth
				   limited response (per worker) truncated */
	unsigned v4_prefix;	/* 1..32 */
	unsigned v6_prefix;	/* 1..128 */
	size_t table_size;	/* buckets, rounded up to a power of 2 (>= RRL_SET) */
	bool log_only;
	const struct cfg_prefix *allow;	/* never limited (copied) */
	size_t nallow;
	uint64_t seed;		/* the hash's seed; 0: a random one */
};

struct rrl;			/* the shared table and settings */

/* The table for c (checked: rate, prefixes, sizes); NULL with a message
 * on a bad setting or when out of memory. */
struct rrl *rrl_new(const struct rrl_conf *c, char *err, size_t errcap);
void rrl_free(struct rrl *r);

/* One worker's handle: its slip cadence.  Written by that worker only. */
struct rrl_worker {
	struct rrl *r;		/* NULL: rate limiting is off */
	unsigned limited;	/* limited responses so far, for slip */
};

/* What the bucket of one response is made of. */
struct rrl_key {
	const uint8_t *addr;	/* 16 bytes: the source, IPv4 v4-mapped */
	enum rrl_class cls;
	const uint8_t *name;	/* wire form, uncompressed, any case: the
				   question name (answer), zone (NXDOMAIN,
				   NODATA) or delegation (referral); ignored
				   for errors; NULL: the root */
	uint16_t qtype;		/* answers only */
	bool cookie;		/* a valid server cookie came with the query */
	uint32_t wild_zone;	/* an answer synthesized from a wildcard: its
				   zone's counter slot + 1, and name is not
				   read (as Knot pools them: a flood of random
				   names under a wildcard shares a bucket);
				   0: not one */
};

/*
 * Spends a token of k's bucket at now_ms (any monotonic millisecond
 * clock, the same for every caller) and says what to do with the
 * response.  Any number of workers may call it at once, each with its own
 * w.  No allocation, lock or syscall.
 */
enum rrl_action rrl_check(struct rrl_worker *w, const struct rrl_key *k, uint64_t now_ms);

/*
 * The worker loop's hook for one UDP response: out[0..*len) answers
 * req, oc its outcome.  Classifies the response, checks its bucket and
 * carries out the action: a dropped response gets *len 0 and
 * oc->dropped, a slipped one is cut to its header, question and OPT
 * with TC=1 (oc->tc); counts into st.  Returns the action.
 */
enum rrl_action rrl_response(struct rrl_worker *w, const struct ans_req *req, uint8_t *out,
			     size_t *len, struct ans_outcome *oc, struct wstats *st,
			     uint64_t now_ms);

/*
 * rrl_response for the responses of a burst, reqs[i] answered by
 * outs[i][0..lens[i]) with outcome ocs[i]: every bucket is found and its
 * cache line prefetched before any is spent, so the table's cache misses
 * overlap (the worker loop's entry).
 */
#define RRL_BURST 64
void rrl_burst(struct rrl_worker *w, const struct ans_req *reqs, uint8_t *const *outs,
	       size_t *lens, struct ans_outcome *ocs, size_t n, struct wstats *st,
	       uint64_t now_ms);

/* The class of the response msg[0..len) whose full RCODE is rcode, and
 * the offset in msg of the name that keys it (0: none), for rrl_key. */
enum rrl_class rrl_classify(const uint8_t *msg, size_t len, unsigned rcode, size_t *name_at);

/* Cuts the response msg[0..len) to its header, question and OPT RR, with
 * TC=1 and no other records; a kept OPT RR gains an Extended DNS Error
 * (Other, "rate limited").  msg has room for max(len, 512) bytes.
 * Returns the new length. */
size_t rrl_truncate(uint8_t *msg, size_t len);

/* The clock rrl_response takes: monotonic milliseconds from a vDSO read
 * (no syscall), read once per burst. */
static inline uint64_t rrl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * For the main thread, every second or so: when workers limited (or in
 * log-only mode would have limited) responses since the last line,
 * logs one line at most every interval_ms with the counts (summed from
 * the workers' st[0..n)) and one client prefix and class limited, so
 * the log itself is rate-limited.
 */
void rrl_log_tick(struct rrl *r, const struct wstats *st, size_t n, uint64_t now_ms,
		  uint64_t interval_ms);

#endif
