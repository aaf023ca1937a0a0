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

#include "zones/dname.h"
#include "zones/snap.h"

struct ck_keys;
struct ck_ctx;

/* Server-wide answer settings (read-only while serving). */
struct ans_cfg {
	uint16_t max_udp;	/* EDNS payload ceiling, default 1232 */
	const char *nsid;	/* RFC 5001 NSID payload, NULL = off */
	uint16_t nsid_len;
	const char *identity;	/* CHAOS id.server / hostname.bind, NULL = hidden */
	const char *version;	/* CHAOS version.bind / version.server, NULL = hidden */
	/* The transfer peers (common/peers.h): TSIG keys and who may NOTIFY
	 * which zone.  The publisher replaces *peers under RCU; the engine
	 * reads it only for a signed query or a NOTIFY.  NULL: none. */
	struct peers *const *peers;
	/* DNS Cookies (RFC 7873, dataplane/cookie.h): the secrets (NULL:
	 * cookies off, COOKIE options ignored but a malformed one still
	 * FORMERR), and the context of the thread that answers, in that
	 * thread's own copy of this struct (ck_thread_cfg); NULL there too
	 * means off */
	const struct ck_keys *cookie_keys;
	struct ck_ctx *cookie;
	bool cookie_require;	/* BADCOOKIE to a UDP query with a COOKIE
				   option but no valid server cookie */
	bool general_only;	/* answer every query on the general path, never
				   the fast paths (the same bytes, slower: for
				   tests that check the fast paths against it) */
};

/* How struct ans_req's peer is to be read. */
enum ans_peer {
	ANS_PEER_NONE = 0,	/* not known */
	ANS_PEER_SOCKADDR,	/* a struct sockaddr_storage (AF_INET/AF_INET6) */
	ANS_PEER_IP4,		/* 4 bytes: the IPv4 source address */
	ANS_PEER_IP16,		/* 16 bytes: IPv6, IPv4 as v4-mapped */
};

/* What the transport knows about one query.  The ports are in host order,
 * 0 when not known, and are read only with the IP4/IP16 kinds: a
 * sockaddr carries its own. */
struct ans_req {
	const uint8_t *q;	/* query message */
	size_t qlen;
	bool tcp;		/* TCP: no truncation, 65535 limit */
	uint8_t peer_kind;	/* enum ans_peer */
	uint8_t local_kind;	/* enum ans_peer */
	uint16_t peer_port;
	uint16_t local_port;
	const void *peer;	/* the sender's address, read only for a
				   NOTIFY: where the transport keeps it */
	const void *local;	/* the address the query came to (dnstap) */
};

/* Which code wrote a response. */
enum ans_path {
	ANS_PATH_NONE = 0,	/* dropped: no response */
	ANS_PATH_HIT,		/* fast path: exact match, pre-encoded records */
	ANS_PATH_NX,		/* fast path: NXDOMAIN (NSEC3 denial with DNSSEC) */
	ANS_PATH_FULL,		/* the general path (record selection per the RFCs) */
	ANS_PATH_REF,		/* fast path: a referral from its fragment */
	ANS_PATH_COUNT
};

/* What became of one query, so that counting never reads the packet again. */
struct ans_outcome {
	uint16_t qtype;		/* the question's type; 0 when none was read */
	uint16_t rcode;		/* the full (extended) RCODE; header bits are & 15 */
	uint8_t path;		/* enum ans_path */
	bool tc;		/* TC=1: the answer did not fit */
	bool dropped;		/* no response (path ANS_PATH_NONE) */
	bool cookie_ok;		/* the query presented a valid server cookie
				   (RFC 7873 §5.2.5; struct qry's cookie_ok):
				   its source address is proven */
	bool notify;		/* a NOTIFY from an allowed primary, answered:
				   the caller tells the control process
				   (ans_notify_zone reads which zone) */
	uint32_t zslot;		/* the zone's counter slot (snap_slot), ZS_NONE
				   (0) when no served zone answered */
	bool wild;		/* the answer was synthesized from a wildcard
				   (RFC 4592): rate limiting pools such answers
				   by zone, not by the (any) name asked */
};

/*
 * Answers one query (ans_respond_burst with one query: the same paths and
 * outcomes).  Writes the response into out[0..outcap) (outcap >= 512;
 * 65535 for TCP) and returns its length, or 0 when the query must be
 * dropped (too short to reply to, QR set).  out may be req->q itself: the
 * response is then written over its own query (the DPDK path answers in
 * the receive buffer); any other overlap is not allowed.  *oc (when oc is
 * not NULL) receives the outcome.
 */
size_t ans_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, uint8_t *out, size_t outcap,
		   struct ans_outcome *oc);

/* For a response whose outcome says notify: the zone it was for (wire)
 * and the sender (16 bytes, IPv4 v4-mapped), read from the response and
 * req's peer.  False when they cannot be read. */
bool ans_notify_of(const struct ans_req *req, const uint8_t *resp, size_t len,
		   uint8_t zone[DNAME_MAX], uint8_t peer[16]);

/* Queries ans_respond_burst pipelines together (longer bursts are cut). */
#define ANS_BURST_MAX 64

/*
 * Answers reqs[0..n) into outs[i][0..outcaps[i]), lengths in lens[i] (0 =
 * drop) and outcomes in ocs[i], byte for byte what ans_respond gives for
 * each.  outs[i] may be reqs[i].q (answered in place, as ans_respond
 * allows).  The lookups of the whole burst are pipelined with prefetches,
 * so their cache misses overlap; 16 to 64 queries is the useful range.
 */
void ans_respond_burst(const struct zidx *root, const struct ans_cfg *cfg,
		       const struct ans_req *reqs, size_t n, uint8_t *const *outs,
		       const size_t *outcaps, size_t *lens, struct ans_outcome *ocs);

#endif
