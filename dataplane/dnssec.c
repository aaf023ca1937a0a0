/*
 * dnssec.c - authenticated denial for the answer engine: which NSEC (RFC
 * 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) records prove an NXDOMAIN, a
 * NODATA, a wildcard expansion or an unsigned delegation.  Only called
 * when the query has DO and the zone is signed.
 */
#include <string.h>

#include "zones/dname.h"
#include "zones/nsecord.h"
#include "dataplane/engine.h"
#include "zones/rrtype.h"

/* Each denial record goes in once, even when it proves two things. */
static bool proof_once(struct eng *e, uint32_t node)
{
	for (unsigned i = 0; i < e->nproof; i++)
		if (e->proof[i] == node)
			return false;
	if (e->nproof < ENG_PROOF_MAX)
		e->proof[e->nproof++] = node;
	return true;
}

static void put_denial(struct eng *e, uint32_t node, uint16_t type)
{
	if (node == SNAP_NONE || !proof_once(e, node))
		return;
	const struct snap_rrset *rs = snap_rrset_of(e->z, &e->nodes[node], type);
	if (rs)
		eng_put(e, RW_NS, eng_name(e, node), rs, UINT32_MAX);
}

/* "*." + the name of node ce. */
static void wildcard_of(const struct eng *e, uint32_t ce, uint8_t out[DNAME_MAX + 2])
{
	const uint8_t *n = eng_name(e, ce);
	out[0] = 1;
	out[1] = '*';
	memcpy(out + 2, n, dname_len(n));
}

/* The name's ancestor with labels+1 labels: the "next closer name" below
 * an encloser of `labels` labels (RFC 5155 §1.3). */
static const uint8_t *next_closer(const uint8_t *name, unsigned labels)
{
	unsigned n = dname_labels(name);
	while (n > labels + 1) {
		name += name[0] + 1u;
		n--;
	}
	return name;
}

/* ---- NSEC ---- */

static bool has_nsec(const struct eng *e, uint32_t i)
{
	return snap_rrset_of(e->z, &e->nodes[i], RR_NSEC) != NULL;
}

/* The NSEC-bearing node at or canonically before name: its NSEC matches or
 * covers name (the chain wraps at the last node to the apex).  The chain's
 * index answers, by its keys when they order the name; without an index
 * (memory ran out: a compiled image, whose nodes are in canonical order,
 * snap_open refusing a composed one) a search of the node table. */
static uint32_t nsec_pred(const struct eng *e, const uint8_t *name)
{
	const struct nsecord *o = snap_nsecord(e->z);
	uint32_t node;
	if (o)
		return nsecord_pred(o, e->z, name, &node) ? node : nsecord_pred_name(o, e->z, name);
	uint32_t lo = e->h->apex, hi = e->h->nnodes;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dname_canon_cmp(eng_name(e, mid), name) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	while (lo > e->h->apex && !has_nsec(e, lo))
		lo--;
	return lo;
}

static void nsec_cover(struct eng *e, const uint8_t *name)
{
	put_denial(e, nsec_pred(e, name), RR_NSEC);
}

/* ---- NSEC3 ---- */

static void nsec3_put_index(struct eng *e, uint32_t idx)
{
	if (idx < snap_nsec3_count(e->base, e->h))
		put_denial(e, snap_nsec3_at(e->base, e->h, idx)->node, RR_NSEC3);
}

/* The NSEC3 record matching or covering name. */
static void nsec3_for(struct eng *e, const uint8_t *name)
{
	uint32_t idx;
	uint8_t hash[20];
	snap_nsec3_find(e->z, name, &idx, hash);
	nsec3_put_index(e, idx);
}

/* The NSEC3 record matching node's name (the compiler precomputed it). */
static void nsec3_match(struct eng *e, uint32_t node)
{
	uint32_t idx = e->nodes[node].nsec3;
	if (idx == SNAP_NONE)
		nsec3_for(e, eng_name(e, node));
	else
		nsec3_put_index(e, idx);
}

/* RFC 5155 §7.2.1: the closest (provable) encloser proof for name: the
 * NSEC3 matching the encloser, the one covering the next closer name.  The
 * encloser is the first ancestor from `from` up that has an NSEC3 (under
 * opt-out, unsigned delegations and their ENTs have none). */
static uint32_t encloser_proof(struct eng *e, const uint8_t *name, uint32_t from)
{
	uint32_t ce = from;
	while (e->nodes[ce].nsec3 == SNAP_NONE && e->nodes[ce].parent != SNAP_NONE)
		ce = e->nodes[ce].parent;
	nsec3_match(e, ce);
	if (dname_labels(name) > snap_node_labels(e->base, &e->nodes[ce]))
		nsec3_for(e, next_closer(name, snap_node_labels(e->base, &e->nodes[ce])));
	return ce;
}

/* ---- the proofs ---- */

void dsec_nxdomain(struct eng *e, const uint8_t *name, uint32_t ce)
{
	uint8_t star[DNAME_MAX + 2];
	if (e->h->flags & SNAP_F_NSEC3) {
		/* RFC 5155 §7.2.2 */
		ce = encloser_proof(e, name, ce);
		wildcard_of(e, ce, star);
		nsec3_for(e, star);
	} else if (e->h->flags & SNAP_F_NSEC) {
		/* RFC 4035 §3.1.3.2 */
		nsec_cover(e, name);
		wildcard_of(e, ce, star);
		nsec_cover(e, star);
	}
}

void dsec_nodata(struct eng *e, const uint8_t *name, uint32_t n)
{
	if (e->h->flags & SNAP_F_NSEC3) {
		/* RFC 5155 §7.2.3; without a matching NSEC3 (opt-out, DS at an
		 * insecure cut) §7.2.4: the closest provable encloser. */
		if (e->nodes[n].nsec3 != SNAP_NONE)
			nsec3_put_index(e, e->nodes[n].nsec3);
		else
			encloser_proof(e, name, n);
	} else if (e->h->flags & SNAP_F_NSEC) {
		/* RFC 4035 §3.1.3.1: the NSEC of the name; an empty
		 * non-terminal has none, the NSEC covering it shows that. */
		if (has_nsec(e, n))
			put_denial(e, n, RR_NSEC);
		else
			nsec_cover(e, name);
	}
}

void dsec_wildcard(struct eng *e, const uint8_t *name, uint32_t wild)
{
	if (e->h->flags & SNAP_F_NSEC3) {
		/* RFC 5155 §7.2.6: the next closer name does not exist. */
		uint32_t ce = e->nodes[wild].parent;
		nsec3_for(e, next_closer(name, snap_node_labels(e->base, &e->nodes[ce])));
	} else if (e->h->flags & SNAP_F_NSEC) {
		/* RFC 4035 §3.1.3.3 */
		nsec_cover(e, name);
	}
}

void dsec_wildcard_nodata(struct eng *e, const uint8_t *name, uint32_t ce, uint32_t wild)
{
	if (e->h->flags & SNAP_F_NSEC3) {
		/* RFC 5155 §7.2.5 */
		nsec3_match(e, ce);
		nsec3_for(e, next_closer(name, snap_node_labels(e->base, &e->nodes[ce])));
		nsec3_match(e, wild);
	} else if (e->h->flags & SNAP_F_NSEC) {
		/* RFC 4035 §3.1.3.4 */
		nsec_cover(e, name);
		put_denial(e, wild, RR_NSEC);
	}
}

void dsec_nods(struct eng *e, uint32_t cut)
{
	if (e->h->flags & SNAP_F_NSEC3) {
		/* RFC 5155 §7.2.7: the NSEC3 matching the cut, or under opt-out
		 * the closest provable encloser proof. */
		if (e->nodes[cut].nsec3 != SNAP_NONE)
			nsec3_put_index(e, e->nodes[cut].nsec3);
		else
			encloser_proof(e, eng_name(e, cut), cut);
	} else if (e->h->flags & SNAP_F_NSEC) {
		put_denial(e, cut, RR_NSEC);
	}
}
