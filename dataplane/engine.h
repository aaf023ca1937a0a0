/*
 * engine.h - state shared by the modules of the answer engine (answer.c,
 * dnssec.c, chaos.c) while one response is built: the zone being read,
 * the writer, and the outcome so far.  Internal to dataplane/.
 */
#ifndef RINGDNS_ENGINE_H
#define RINGDNS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/answer.h"
#include "zones/dname.h"
#include "dataplane/query.h"
#include "zones/rwrite.h"
#include "zones/snap.h"

#define ENG_ADDL_MAX SNAP_ADDL_MAX	/* names whose addresses go in additional */
#define ENG_PROOF_MAX 8		/* NSEC/NSEC3 records in one answer */
#define ENG_CHAIN_MAX 8		/* CNAME/DNAME hops followed inside a zone */

enum {
	RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5, RCODE_YXDOMAIN = 6, RCODE_NOTAUTH = 9,
	RCODE_BADVERS = 16,
};

/* RFC 8914 §4 */
#define EDE_NOT_AUTHORITATIVE 20

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
