/*
 * engine.h - what the modules of the answer engine share, internal to
 * dataplane/: the burst pipeline (burst.c) probes the zone and hands its
 * findings (struct eng_probe) to the fast paths (fast.c) or to the general
 * path (answer.c: record selection, with dnssec.c and chaos.c), whose
 * state while one response is built is struct eng; both end with the one
 * header and OPT writer (reply.h).
 */
#ifndef RINGDNS_ENGINE_H
#define RINGDNS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/answer.h"
#include "zones/dname.h"
#include "dataplane/query.h"
#include "zones/rrtype.h"
#include "zones/rwrite.h"
#include "zones/snap.h"

#define ENG_ADDL_MAX SNAP_ADDL_MAX	/* names whose addresses go in additional */
#define ENG_PROOF_MAX 8		/* NSEC/NSEC3 records in one answer */
#define ENG_CHAIN_MAX 8		/* CNAME/DNAME hops followed inside a zone */

enum {
	RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5, RCODE_YXDOMAIN = 6, RCODE_NOTAUTH = 9,
	RCODE_BADVERS = 16, RCODE_BADCOOKIE = 23,
};

/* RFC 8914 §4 */
#define EDE_NOT_AUTHORITATIVE 20
#define EDE_INVALID_DATA 24

#include "dataplane/reply.h"

/* ---- what the burst pipeline found (burst.c) ---- */

/* What a DO query's NSEC3 proof found ahead is for (eng_probe.nx3):
 * none, an NXDOMAIN (encloser, next closer, wildcard), a wildcard answer
 * (the next closer name's cover). */
enum { NX3_NONE = 0, NX3_NXDOMAIN = 1, NX3_WILD = 2 };

/* Names of an answer or referral whose addresses the burst prefetches. */
#define ENG_TARGETS 4

/* What fast_hit copies, as the pipeline found it. */
enum { FAST_NO = 0, FAST_PLAIN = 1, FAST_RESP = 2 };

/* One query's lookups done ahead of answering: its zone, the first probe
 * of its owner name, the RRset of the query type there, and the
 * additional-section targets probed.  The pipeline only warms the cache
 * and saves probes; the answering code decides. */
struct eng_probe {
	bool zknown;		/* z is the zone index's answer */
	uint8_t skip;		/* suffixes known absent */
	uint8_t fast;		/* FAST_*: what fast_hit may copy */
	uint8_t nt;		/* targets */
	uint32_t first;		/* the node of the next suffix (a candidate until
				   checked), SNAP_NONE, SNAP_UNPROBED */
	uint32_t flags;		/* the candidate's flags (block copy) */
	const struct snap *z;
	/* the zone's image and header (snap_base, snap_hdr are calls: made
	 * once per zone in a burst), and the RRset of the query type at the
	 * candidate node (not at a cut) */
	const uint8_t *base;
	const struct snap_header *h;
	const struct snap_rrset *rs;	/* at a cut: its NS RRset */
	uint32_t blk;		/* the candidate's block, SNAP_NONE */
	uint8_t nx3;		/* NX3_*: what nx3blk holds */
	uint32_t nx3blk[3];	/* NSEC3 owners' blocks (fast_nx3_begin, _end),
				   SNAP_NONE */
	const uint8_t *tname[ENG_TARGETS];	/* additional-section targets */
	uint32_t tn[ENG_TARGETS];	/* their nodes (candidates), or SNAP_NONE */
};

/* One query as the pipeline holds it: parsed, and what its lookups
 * found. */
struct eng_query {
	struct qry q;
	enum qry_status st;
	struct eng_probe p;
};

static inline bool eng_is_node(uint32_t f)
{
	return f != SNAP_NONE && f != SNAP_UNPROBED;
}

/* What dispatch() looks up in the zone index; the burst pipeline does it
 * ahead of time for exactly these queries. */
static inline bool eng_wants_zone(const struct qry *q)
{
	return (q->qclass == RR_CLASS_IN || q->qclass == RR_CLASS_ANY) &&
	       q->qtype != RR_AXFR && q->qtype != RR_IXFR;
}

static inline const struct snap *eng_find_zone(const struct zidx *root, const struct qry *q)
{
	return zidx_find_q(root, q->qname, q->qname_len, q->qlo, q->qlabels, q->qhash);
}

/* Types whose RDATA the writer copies as it is and that need no
 * additional-section processing (SRV, RFC 2782) nor a rule of their own
 * (RRSIG, ANY: at_node). */
static inline bool eng_plain_rdata(uint16_t t)
{
	return !rw_compressed_type(t) && t != RR_SRV && t != RR_RRSIG && t != RR_ANY;
}

/* ---- the fast paths (fast.c) ---- */

/* memcpy for the short copies of the fast paths (names, records): fixed-
 * size moves, the last one overlapping.  For a length it knows is small
 * the compiler's own inline copy is a string instruction (rep movs) whose
 * start-up cost a tenth of an NXDOMAIN. */
static inline void eng_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	if (len >= 16) {
		size_t i = 0;
		for (; i + 16 < len; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + len - 16, src + len - 16, 16);
	} else if (len >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + len - 8, src + len - 8, 8);
	} else if (len >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + len - 4, src + len - 4, 4);
	} else {
		for (size_t i = 0; i < len; i++)
			dst[i] = src[i];
	}
}

/* Writes count records of one RRset (snapshot entries at rd) owned by the
 * name at offset owner in the message (a pointer each, as rw_rrset writes
 * an owner it has seen). */
static inline uint8_t *eng_put_owned(uint8_t *p, uint16_t owner, uint16_t type, uint32_t ttl,
				     const uint8_t *rd, uint16_t count)
{
	for (uint16_t i = 0; i < count; i++) {
		size_t len = 2u + (size_t)(rd[0] << 8 | rd[1]);
		p = rw_rr_head(p, owner, type, ttl);
		eng_copy(p, rd, len);
		p += len;
		rd += len;
	}
	return p;
}

/* The question, echoed: the query's own when answering in place (out is
 * the query and its name is where it was sent: nothing to copy; copying
 * an object onto itself is undefined), else copied.  Returns the end. */
uint8_t *eng_question(const struct qry *q, uint8_t *out);

/* An exact match from pre-encoded records, or an NXDOMAIN without DNSSEC,
 * byte for byte what the general path writes; 0 when it does not apply
 * or fit.  out may hold the query itself (answered in place). */
size_t fast_hit(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
		const struct eng_env *env, uint8_t *out);
size_t fast_nx(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
	       const struct eng_env *env, uint8_t *out);

/* A referral from the cut's pre-encoded fragment, and an NXDOMAIN with
 * NSEC3 denial (fastref.c); byte for byte what the general path writes,
 * 0 when they do not apply or fit. */
size_t fast_ref(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
		const struct eng_env *env, uint8_t *out);
size_t fast_nx3(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
		const struct eng_env *env, uint8_t *out);
/* NODATA with DNSSEC at the name found, and a wildcard answer in an
 * NSEC3 zone (fastref.c), the same way. */
size_t fast_wild3(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
		  const struct eng_env *env, uint8_t *out);
size_t fast_nodata(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
		   const struct eng_env *env, uint8_t *out);
/* Ahead of answering, in the burst: the NSEC3 owners of a DO referral's
 * proof, their blocks prefetched; and a DO NXDOMAIN's in two steps: begin
 * makes the one hash (of the next closer name) when the fast path applies
 * (false when not), the caller finds the table entry matching or covering
 * it (snap_nsec3_search's answer), end takes it and prefetches the
 * owners' blocks. */
void fast_ref_ahead(const struct qry *q, const struct eng_probe *p);
/* A wildcard answer (*answer set) or an NXDOMAIN with NSEC denial
 * (fastref.c), byte for byte what the general path writes; 0 when neither
 * applies or fits. */
size_t fast_nsec(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *p,
		 const struct eng_env *env, uint8_t *out, bool *answer);

bool fast_nx3_begin(const struct qry *q, struct eng_probe *p, uint8_t hash[20]);
void fast_nx3_end(struct eng_probe *p, uint32_t cover);

/* RFC 2308 §3: the SOA of a negative answer without DNSSEC, encoded at
 * start with no search of a compression table.  Returns the bytes
 * written, 0 when this encoding does not apply, ENG_SOA_NO_ROOM when room
 * may not hold it. */
#define ENG_SOA_NO_ROOM SIZE_MAX
size_t eng_soa_direct(const struct qry *q, const struct snap_header *h, const uint8_t *base,
		      uint8_t *start, size_t room);

/* The sender's address as 16 bytes (IPv4 v4-mapped); false when the
 * transport did not say (signed.c). */
bool eng_peer_addr(const struct ans_req *req, uint8_t a[16]);

/* ---- the general path (answer.c) ---- */

/*
 * Answers x (the query, its parse status and what the pipeline found) into
 * out by record selection per the RFCs, within env; fills *oc.  Returns
 * the response's length.  out may hold the query itself.
 */
size_t eng_general(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct eng_query *x, const struct eng_env *env, uint8_t *out,
		   struct ans_outcome *oc);

/* A signed query or a NOTIFY (signed.c): verified, answered (by
 * eng_general or as a NOTIFY) and signed; env's limit leaves room for the
 * TSIG. */
size_t sgn_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, const struct eng_query *x, struct eng_env *env,
		   uint8_t *out, size_t outcap, struct ans_outcome *oc);

/* ---- the state of the general path while one response is built ---- */

struct eng {
	const struct ans_cfg *cfg;
	const struct qry *q;
	struct rw *w;
	/* the zone (when one serves the name) */
	const struct snap *z;
	const struct snap_header *h;
	const struct snap_node *nodes;
	const uint8_t *base;
	bool dnssec;		/* DO set and the zone signed */
	/* what the burst pipeline found already: the first `skip` suffixes
	 * of the query name are absent, and the next one's node is first
	 * (SNAP_NONE: absent; SNAP_UNPROBED: not looked up) */
	uint32_t first;
	uint8_t skip;
	/* additional-section names the burst pipeline looked up (pointers
	 * into the snapshot's rdata): candidate node or SNAP_NONE (absent) */
	const uint8_t *const *kname;
	const uint32_t *knode;
	unsigned nknown;
	/* outcome */
	bool aa;
	bool tc;		/* an answer/authority RRset did not fit */
	unsigned rcode;		/* 0..4095 (extended bits go in OPT) */
	int ede;		/* Extended DNS Error code, -1 none */
	uint32_t zslot;		/* the zone's counter slot (snap_slot), 0: none */
	bool wild;		/* an answer came from a wildcard (RFC 4592) */
	/* a referral's delegation point: the glue of name servers below it
	 * is required (RFC 9471 §3.1); NULL when not a referral */
	const uint8_t *cut;
	/* names (wire, inside the snapshot) of NS/MX/SRV targets */
	const uint8_t *addl[ENG_ADDL_MAX];
	unsigned naddl;
	/* wildcard expansions in the answer whose proofs (authority) wait
	 * until the answer section is complete */
	const uint8_t *wname[ENG_CHAIN_MAX];
	uint32_t wnode[ENG_CHAIN_MAX];
	unsigned nwild;
	/* names synthesized from DNAMEs while following a chain */
	uint8_t synth[2][DNAME_MAX];
	/* nodes whose NSEC/NSEC3 record is already in the answer */
	uint32_t proof[ENG_PROOF_MAX];
	unsigned nproof;
};

static inline const uint8_t *eng_name(const struct eng *e, uint32_t node)
{
	return e->base + e->nodes[node].name;
}

static inline const uint8_t *eng_rdata(const struct eng *e, const struct snap_rrset *rs)
{
	return e->base + rs->rdata;
}

/* Puts an RRset (with its RRSIGs when e->dnssec) in sect, owner NULL = the
 * query name.  ttl_cap lowers the TTLs (negative answers, RFC 2308 §3);
 * UINT32_MAX keeps them.  When it does not fit: answer and authority set
 * e->tc; additional is just left out.  Returns whether it was written. */
bool eng_put(struct eng *e, int sect, const uint8_t *owner, const struct snap_rrset *rs,
	     uint32_t ttl_cap);

/* DNSSEC denial (dnssec.c), only called when e->dnssec.  ce: the closest
 * encloser node; name: the name being answered (qname or a CNAME target). */
void dsec_nxdomain(struct eng *e, const uint8_t *name, uint32_t ce);
/* NODATA at the existing node n (ENTs included; for DS at a cut too). */
void dsec_nodata(struct eng *e, const uint8_t *name, uint32_t n);
/* A wildcard answer from wild (a node "*.ce"): no closer match exists. */
void dsec_wildcard(struct eng *e, const uint8_t *name, uint32_t wild);
/* Wildcard NODATA: the above plus the wildcard's own type bitmap; ce is
 * the closest encloser of name (the wildcard's parent, or for a referral
 * to a wildcard cut the deepest node at or above name). */
void dsec_wildcard_nodata(struct eng *e, const uint8_t *name, uint32_t ce, uint32_t wild);
/* A referral to the cut without DS: prove DS absent (RFC 4035 §3.1.4). */
void dsec_nods(struct eng *e, uint32_t cut);

/* CHAOS class queries (chaos.c). */
void chaos_answer(struct eng *e);

#endif
