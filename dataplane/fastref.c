/*
 * fastref.c - the fast paths of the answer engine for a TLD's commonest
 * answers after hits: a referral copied from its cut's pre-encoded
 * fragment (zones/frag.h), with the DS RRset or the proof that there is
 * none when the query has DO (RFC 4035 §3.1.4); and an NXDOMAIN with
 * NSEC3 denial (RFC 5155 §7.2.2) from the snapshot's SOA fragment, the
 * closest encloser's precomputed records and one hash.  Each writes byte
 * for byte what the general path (answer.c, dnssec.c) writes; where one
 * does not apply or fit it returns 0 and the general path answers.
 *
 * The records put after a fragment here have owners whose compression the
 * writer (zones/rwrite.c) decides without search: a DS or NSEC RRset at
 * the cut is a pointer to the cut in the question; an NSEC3 owner is its
 * hashed label then a pointer to the apex in the question (no earlier
 * name has that label right below the apex: FRAG_F_HASHLIKE, and the
 * compiler's checks), its RRSIGs a pointer to that owner.  NSEC owners
 * are any names: for them the writer itself runs, its table first filled
 * as the general path would have it (the question's suffixes, the SOA
 * fragment's targets).  Also the NXDOMAIN and wildcard answers with NSEC
 * denial (RFC 4035 §3.1.3), the covering NSEC found by the chain's index.
 */
#include <string.h>

#include "dataplane/engine.h"
#include "zones/dname.h"
#include "zones/frag.h"
#include "zones/nsecord.h"

/*
 * Whether fragment f, anchored at a name of alabels labels that ends the
 * query name, is what the writer would write after this question: the
 * question's label right above the anchor is none of the fragment's
 * there (frag.h), and the writer's table holds the question's suffixes,
 * the fragment's targets and `extra` more.
 */
static bool frag_fits_q(const uint8_t *f, const struct qry *q, unsigned alabels,
			unsigned extra)
{
	if (q->qlabels + f[9] + extra > RW_CT_MAX)
		return false;
	if (q->qlabels == alabels || f[11] == 0)
		return true;
	const uint8_t *lab = q->qname + q->qlo[q->qlabels - alabels - 1];
	const uint8_t *bl = f + frag_below_at(f);
	for (size_t o = 0; o < f[11]; o += bl[o] + 1u) {
		if (bl[o] != lab[0])
			continue;
		bool eq = true;
		for (unsigned k = 1; k <= lab[0] && eq; k++)
			eq = dname_lc(lab[k]) == bl[o + k];
		if (eq)
			return false;
	}
	return true;
}

/*
 * Copies the parts of fragment f to dst: the authority part, `gap` bytes
 * left for the caller, the additional part; each pointer moves by delta
 * (the question name is longer than the anchor by delta) and, when it
 * points into the additional part, by gap too.  fparts: where the parts
 * begin in the fragment's own message (16 + the anchor's length).
 * Returns the end of the authority part.
 */
static uint8_t *frag_copy(uint8_t *dst, const uint8_t *f, size_t fparts, size_t delta,
			  size_t gap)
{
	size_t auth = frag_u16(f, 4), addl = frag_u16(f, 6);
	const uint8_t *parts = f + frag_parts_at(f);
	memcpy(dst, parts, auth);
	memcpy(dst + auth + gap, parts + auth, addl);
	for (unsigned k = 0; k < f[8]; k++) {
		size_t o = frag_u16(f, FRAG_HEAD + 2u * k);
		uint8_t *at = dst + o + (o < auth ? 0 : gap);
		size_t v = (size_t)(at[0] & 0x3f) << 8 | at[1];
		size_t nv = v + delta + (v >= fparts + auth ? gap : 0);
		at[0] = (uint8_t)(0xc0 | nv >> 8);
		at[1] = (uint8_t)nv;
	}
	return dst + auth;
}

/* An RRset and its RRSIGs owned by the name at offset owner: bytes. */
static size_t signed_size(const struct snap_rrset *rs)
{
	return 10u * rs->count + rs->rdata_len + 10u * rs->nsigs + rs->sigs_len;
}

static uint8_t *put_signed(uint8_t *p, const uint8_t *base, uint16_t owner,
			   const struct snap_rrset *rs, uint16_t *ns)
{
	p = eng_put_owned(p, owner, rs->type, rs->ttl, base + rs->rdata, rs->count);
	p = eng_put_owned(p, owner, RR_RRSIG, rs->sig_ttl, base + snap_rrset_sigs(rs), rs->nsigs);
	*ns = (uint16_t)(*ns + rs->count + rs->nsigs);
	return p;
}

/* The NSEC3 RRset of the NSEC3 owner whose block is at blk, or NULL. */
static const struct snap_rrset *nsec3_at(const uint8_t *base, uint32_t blk)
{
	const struct snap_block *bh = snap_block_at(base, blk);
	return snap_rrset_in(snap_block_rrset_tab(base, blk), bh->nrrsets, RR_NSEC3);
}

/* Bytes of that RRset and its RRSIGs written by put_nsec3. */
static size_t nsec3_size(const uint8_t *base, uint32_t blk, const struct snap_rrset *rs)
{
	return rs ? signed_size(rs) + snap_block_name(base, blk)[0] + 1u : 0;
}

/* The NSEC3 RRset at blk with its RRSIGs: the first owner its hashed
 * label and a pointer to the apex in the question (apos), the others a
 * pointer to that first one.  out: the message start. */
static uint8_t *put_nsec3(uint8_t *p, uint8_t *out, const uint8_t *base, uint32_t blk,
			  const struct snap_rrset *rs, uint16_t apos, uint16_t *ns)
{
	if (!rs)
		return p;
	const uint8_t *label = snap_block_name(base, blk);
	uint16_t own = (uint16_t)(p - out);
	eng_copy(p, label, label[0] + 1u);
	p += label[0] + 1u;
	const uint8_t *rd = base + rs->rdata;
	size_t len = 2u + (size_t)(rd[0] << 8 | rd[1]);
	p = rw_rr_head(p, apos, rs->type, rs->ttl);
	eng_copy(p, rd, len);
	p = eng_put_owned(p + len, own, rs->type, rs->ttl, rd + len, (uint16_t)(rs->count - 1));
	p = eng_put_owned(p, own, RR_RRSIG, rs->sig_ttl, base + snap_rrset_sigs(rs), rs->nsigs);
	*ns = (uint16_t)(*ns + rs->count + rs->nsigs);
	return p;
}

/* A DO query of class IN to an NSEC3-signed zone other than the root
 * (whose NSEC3 owners end in the root, which is no pointer target). */
static bool nsec3_do(const struct qry *q, const struct snap_header *h)
{
	return q->qclass == RR_CLASS_IN && q->do_bit && (h->flags & SNAP_F_SIGNED) &&
	       (h->flags & SNAP_F_NSEC3) && h->origin_labels > 0;
}

/* The offset of the apex in the question (the zone's names end the
 * query name). */
static uint16_t apex_at(const struct qry *q, const struct eng_probe *b)
{
	return (uint16_t)(RW_HDR + q->qname_len - dname_len(b->base + b->h->origin));
}

/* The snapshot's negative SOA fragment f (anchored at the apex) after the
 * question: returns its end. */
static uint8_t *put_negsoa(uint8_t *p, const uint8_t *f, const struct qry *q,
			   const struct eng_probe *b)
{
	size_t olen = dname_len(b->base + b->h->origin);
	return frag_copy(p, f, RW_HDR + olen + 4u, q->qname_len - olen, 0);
}

/* The largest response the fast paths write: every pointer target and
 * table entry within a pointer's reach (RFC 1035 §4.1.4, rwrite's
 * PTR_MAX). */
#define FAST_PTR_REACH 0x3fff

/* What a DO referral adds after the NS records: the DS RRset, or the
 * proof that there is none; bytes in *gap.  False when the general path
 * must answer. */
struct ref_dnssec {
	const struct snap_rrset *ds, *nsec, *n3[2];
	uint32_t n3blk[2];
};

static bool ref_dnssec_plan(const struct eng_probe *b, const uint8_t *f,
			    const struct snap_rrset *ns, struct ref_dnssec *d, size_t *gap)
{
	const uint8_t *base = b->base;
	const struct snap_rrset *rs = snap_block_rrset_tab(base, b->blk);
	unsigned nr = snap_block_at(base, b->blk)->nrrsets;
	*d = (struct ref_dnssec){ .n3blk = { SNAP_NONE, SNAP_NONE } };
	if (ns->nsigs || (f[10] & FRAG_F_ADDL_SIGNED) || (b->flags & SNAP_N_WILDCARD))
		return false;
	d->ds = snap_rrset_in(rs, nr, RR_DS);
	if (d->ds) {
		*gap = signed_size(d->ds);
	} else if (b->h->flags & SNAP_F_NSEC3) {
		if (!(f[10] & FRAG_F_N3) || (f[10] & FRAG_F_HASHLIKE))
			return false;
		*gap = 0;
		for (int k = 0; k < 2; k++) {
			uint32_t x = frag_u32(f, 12 + 4u * (unsigned)k);
			d->n3blk[k] = x == SNAP_NONE ? SNAP_NONE : snap_proof_block(base, b->h, x);
			if (d->n3blk[k] != SNAP_NONE) {
				d->n3[k] = nsec3_at(base, d->n3blk[k]);
				*gap += nsec3_size(base, d->n3blk[k], d->n3[k]);
			}
		}
	} else if (b->h->flags & SNAP_F_NSEC) {
		d->nsec = snap_rrset_in(rs, nr, RR_NSEC);
		*gap = d->nsec ? signed_size(d->nsec) : 0;
	} else {
		*gap = 0;
	}
	return true;
}

/*
 * A referral (RFC 1034 §4.3.2 step 3b) to the cut the pipeline found: the
 * query name is the cut or one label below it (not a DS query at the cut,
 * which is the parent's data, RFC 4035 §3.1.4.1).  The cut's fragment
 * gives the NS records and the glue; with DNSSEC the DS RRset, the NSEC3
 * proof of no DS (its owners precomputed) or the cut's NSEC go between.
 */
__attribute__((noinline)) size_t fast_ref(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *b,
		const struct eng_env *env, uint8_t *out)
{
	const struct snap_rrset *ns = b->rs;
	if (!ns || !ns->resp || q->qclass != RR_CLASS_IN ||
	    (b->skip == 0 && q->qtype == RR_DS))
		return 0;
	const uint8_t *base = b->base, *f = base + ns->rdata + ns->rdata_len;
	const struct snap_block *cb = snap_block_at(base, b->blk);
	unsigned clabels = cb->labels;
	size_t clen = cb->name_len + 1u, delta = q->qname_len - clen;
	bool dnssec = q->do_bit && (b->h->flags & SNAP_F_SIGNED);
	struct ref_dnssec d;
	size_t gap = 0;
	/* a root zone's NSEC3 owners end in the root, which is no pointer
	 * target (rwrite) */
	if (dnssec && (b->h->origin_labels == 0 || !ref_dnssec_plan(b, f, ns, &d, &gap)))
		return 0;
	if (!frag_fits_q(f, q, clabels, 2))
		return 0;
	size_t qend = RW_HDR + q->qname_len + 4u;
	size_t end = qend + frag_u16(f, 4) + gap + frag_u16(f, 6);
	if (end + env->optlen > env->limit || end > FAST_PTR_REACH)
		return 0;
	uint8_t *p = eng_question(q, out);
	p = frag_copy(p, f, RW_HDR + clen + 4u, delta, gap);
	struct eng_head hd = { .ede = -1, .qd = 1, .ns = frag_u16(f, 0), .ar = frag_u16(f, 2) };
	if (dnssec) {
		uint16_t cpos = (uint16_t)(RW_HDR + delta);
		uint16_t apos = apex_at(q, b);
		if (d.ds)
			p = put_signed(p, base, cpos, d.ds, &hd.ns);
		else if (d.nsec)
			p = put_signed(p, base, cpos, d.nsec, &hd.ns);
		for (int k = 0; k < 2; k++)
			if (d.n3blk[k] != SNAP_NONE)
				p = put_nsec3(p, out, base, d.n3blk[k], d.n3[k], apos, &hd.ns);
	}
	p += frag_u16(f, 6);
	return eng_finish(cfg, q, env, &hd, out, (size_t)(p - out));
}

/* The closest encloser of an NXDOMAIN the pipeline can vouch for (as
 * fast_nx's): the apex when the name is one label below it, or two with
 * the parent absent; else the parent it found (its name checked later,
 * in stage 5).  SNAP_NONE when neither, or when something other than an
 * NXDOMAIN may apply there. */
static uint32_t nx_encloser(const struct qry *q, const struct eng_probe *b)
{
	const struct snap_header *h = b->h;
	uint32_t ce, flags;
	if (b->first == SNAP_NONE && q->qlabels == h->origin_labels + 1u + b->skip) {
		ce = h->apex;
		flags = snap_node_flags(b->base, &snap_node_tab(b->base, h)[ce]);
	} else if (b->skip == 1 && eng_is_node(b->first)) {
		ce = b->first;
		flags = b->flags;
	} else {
		return SNAP_NONE;
	}
	if (flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_DNAME | SNAP_N_WILD_CHILD |
		     SNAP_N_NSEC3))
		return SNAP_NONE;
	return ce;
}

static uint32_t nx3_encloser(const struct qry *q, const struct eng_probe *b)
{
	return nsec3_do(q, b->h) ? nx_encloser(q, b) : SNAP_NONE;
}

/* The first lines of a block: its head, name and RRset entries, and
 * records that follow closely; the first one loaded (snap_touch). */
static void prefetch_block(const uint8_t *base, uint32_t blk)
{
	const uint8_t *p = base + blk;
	snap_touch(p);
	for (int k = 1; k < 5; k++)
		__builtin_prefetch(p + 64 * k);
}

/* The wildcard "*.<ce>" that answers a query name one label below the
 * node ce the pipeline found (as answer.c's wild_child: nearly always the
 * node right after ce), or SNAP_NONE. */
static uint32_t wild_after(const struct eng_probe *b, uint32_t ce)
{
	const struct snap_node *nodes = snap_node_tab(b->base, b->h);
	uint32_t k = ce + 1;
	if (k < b->h->nnodes && nodes[k].parent == ce &&
	    (snap_node_flags(b->base, &nodes[k]) & SNAP_N_WILDCARD))
		return k;
	return SNAP_NONE;
}

/* A wildcard answer the fast path may give (fast_wild3, fast_wildsec):
 * the query name one label below the node found, which has a wildcard
 * child; a plain type, at a wildcard that is neither a cut nor a
 * CNAME.  Returns the wildcard's node or SNAP_NONE. */
static uint32_t wild_source(const struct qry *q, const struct eng_probe *b)
{
	const struct snap_header *h = b->h;
	if (b->skip != 1 ||
	    !eng_is_node(b->first) || !eng_plain_rdata(q->qtype) ||
	    (b->flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_DNAME | SNAP_N_NSEC3)) ||
	    !(b->flags & SNAP_N_WILD_CHILD))
		return SNAP_NONE;
	uint32_t w = wild_after(b, b->first);
	if (w == SNAP_NONE ||
	    (snap_node_flags(b->base, &snap_node_tab(b->base, h)[w]) & (SNAP_N_CUT | SNAP_N_CNAME)))
		return SNAP_NONE;
	return w;
}

static uint32_t wild3_source(const struct qry *q, const struct eng_probe *b)
{
	return nsec3_do(q, b->h) ? wild_source(q, b) : SNAP_NONE;
}

bool fast_nx3_begin(const struct qry *q, struct eng_probe *p, uint8_t hash[20])
{
	p->nx3 = NX3_NONE;
	const uint8_t *base = p->base;
	const struct snap_header *h = p->h;
	if (wild3_source(q, p) != SNAP_NONE) {
		/* RFC 5155 §7.2.6: the next closer name is the query name */
		snap_nsec3_hash(q->qname, h->nsec3_salt, h->nsec3_salt_len, h->nsec3_iter, hash);
		p->nx3blk[0] = SNAP_NONE;
		return true;
	}
	uint32_t ce = nx3_encloser(q, p);
	if (ce == SNAP_NONE)
		return false;
	const struct snap_node *nodes = snap_node_tab(base, h);
	/* RFC 5155 §7.2.1: the closest provable encloser, as dnssec.c's
	 * encloser_proof finds it */
	while (nodes[ce].nsec3 == SNAP_NONE && nodes[ce].parent != SNAP_NONE)
		ce = nodes[ce].parent;
	uint32_t m = nodes[ce].nsec3;
	if (m == SNAP_NONE || snap_nsec3_at(base, h, m)->wild >= SNAP_N3_DEAD)
		return false;
	unsigned cl = snap_node_labels(base, &nodes[ce]);
	const uint8_t *next = q->qname + q->qlo[q->qlabels - cl - 1];
	snap_nsec3_hash(next, h->nsec3_salt, h->nsec3_salt_len, h->nsec3_iter, hash);
	p->nx3blk[0] = m;
	return true;
}

void fast_nx3_end(struct eng_probe *p, uint32_t c)
{
	const uint8_t *base = p->base;
	const struct snap_header *h = p->h;
	uint32_t m = p->nx3blk[0];
	uint32_t *blk = p->nx3blk;
	uint32_t cb = snap_nsec3_at(base, h, c)->block;
	if (m == SNAP_NONE) {
		blk[0] = cb;
		blk[1] = blk[2] = SNAP_NONE;
		p->nx3 = NX3_WILD;
	} else {
		const struct snap_nsec3 *tm = snap_nsec3_at(base, h, m);
		blk[0] = tm->block;
		blk[1] = cb == blk[0] ? SNAP_NONE : cb;
		uint32_t w = snap_nsec3_at(base, h, tm->wild)->block;
		blk[2] = w == blk[0] || w == blk[1] ? SNAP_NONE : w;
		p->nx3 = NX3_NXDOMAIN;
	}
	for (int k = 0; k < 3; k++)
		if (blk[k] != SNAP_NONE)
			prefetch_block(p->base, blk[k]);
}

void fast_ref_ahead(const struct qry *q, const struct eng_probe *p)
{
	const struct snap_rrset *ns = p->rs;
	if (!q->do_bit || !(p->h->flags & SNAP_F_NSEC3) || !ns || !ns->resp)
		return;
	const uint8_t *f = p->base + ns->rdata + ns->rdata_len;
	if (!(f[10] & FRAG_F_N3))
		return;
	for (unsigned k = 0; k < 2; k++) {
		uint32_t x = frag_u32(f, 12 + 4 * k);
		if (x != SNAP_NONE)
			prefetch_block(p->base, snap_proof_block(p->base, p->h, x));
	}
}

/*
 * NXDOMAIN with DNSSEC in an NSEC3 zone (RFC 5155 §7.2.2), for a name
 * whose closest encloser the pipeline knows as fast_nx does, its NSEC3
 * owners found ahead (fast_nx3_begin, _end): the SOA and its RRSIGs (the
 * snapshot's fragment, RFC 2308 §3), then the encloser's NSEC3, the one
 * covering the next closer name and the one covering the wildcard, each
 * with its RRSIGs.
 */
__attribute__((noinline)) size_t fast_nx3(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *b,
		const struct eng_env *env, uint8_t *out)
{
	const struct snap_header *h = b->h;
	const uint8_t *f = snap_negsoa(b->z);
	if (b->nx3 != NX3_NXDOMAIN || nx3_encloser(q, b) == SNAP_NONE || !f || (f[10] & FRAG_F_HASHLIKE) ||
	    !frag_fits_q(f, q, h->origin_labels, 3))
		return 0;
	const uint32_t *blk = b->nx3blk;
	const struct snap_rrset *rs[3];
	size_t end = RW_HDR + q->qname_len + 4u + frag_u16(f, 4);
	for (int k = 0; k < 3; k++) {
		rs[k] = blk[k] == SNAP_NONE ? NULL : nsec3_at(b->base, blk[k]);
		end += nsec3_size(b->base, blk[k], rs[k]);
	}
	if (end + env->optlen > env->limit || end > FAST_PTR_REACH)
		return 0;
	uint16_t apos = apex_at(q, b);
	uint8_t *p = put_negsoa(eng_question(q, out), f, q, b);
	struct eng_head hd = { .rcode = RCODE_NXDOMAIN, .ede = -1, .aa = true, .qd = 1,
			       .ns = frag_u16(f, 0) };
	for (int k = 0; k < 3; k++)
		p = put_nsec3(p, out, b->base, blk[k], rs[k], apos, &hd.ns);
	return eng_finish(cfg, q, env, &hd, out, (size_t)(p - out));
}

/*
 * NODATA with DNSSEC (RFC 2308 §2.2, RFC 4035 §3.1.3.1, RFC 5155 §7.2.3)
 * at the existing name the pipeline found (the query name itself, no
 * RRset of its type, no CNAME, not at or below a cut, not an NSEC3 owner,
 * not an empty non-terminal): the SOA and its RRSIGs (the snapshot's
 * fragment), then the name's NSEC (owned by the question name: a pointer
 * to it) or the NSEC3 matching it (precomputed), with their RRSIGs.
 */
__attribute__((noinline)) size_t fast_nodata(const struct ans_cfg *cfg, const struct qry *q,
					     const struct eng_probe *b,
					     const struct eng_env *env, uint8_t *out)
{
	const struct snap_header *h = b->h;
	const uint8_t *base = b->base, *f = snap_negsoa(b->z);
	if (q->qclass != RR_CLASS_IN || !q->do_bit || !(h->flags & SNAP_F_SIGNED) || !f ||
	    b->rs || b->blk == SNAP_NONE || q->qtype == RR_ANY || q->qtype == RR_RRSIG ||
	    h->origin_labels == 0 ||
	    (b->flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_NSEC3 | SNAP_N_CNAME |
			 SNAP_N_ENT)) ||
	    !frag_fits_q(f, q, h->origin_labels, 1))
		return 0;
	const struct snap_rrset *nsec = NULL, *n3 = NULL;
	uint32_t n3blk = SNAP_NONE;
	size_t end = RW_HDR + q->qname_len + 4u + frag_u16(f, 4);
	if (h->flags & SNAP_F_NSEC3) {
		uint32_t m = snap_node_tab(base, h)[b->first].nsec3;
		if (m == SNAP_NONE || (f[10] & FRAG_F_HASHLIKE))
			return 0;	/* opt-out: the closest provable encloser's proof */
		n3blk = snap_nsec3_at(base, h, m)->block;
		n3 = nsec3_at(base, n3blk);
		end += nsec3_size(base, n3blk, n3);
	} else if (h->flags & SNAP_F_NSEC) {
		nsec = snap_rrset_in(snap_block_rrset_tab(base, b->blk),
				     snap_block_at(base, b->blk)->nrrsets, RR_NSEC);
		if (!nsec)
			return 0;	/* the NSEC covering it: a search */
		end += signed_size(nsec);
	}
	if (end + env->optlen > env->limit || end > FAST_PTR_REACH)
		return 0;
	uint8_t *p = put_negsoa(eng_question(q, out), f, q, b);
	struct eng_head hd = { .ede = -1, .aa = true, .qd = 1, .ns = frag_u16(f, 0) };
	if (nsec)
		p = put_signed(p, base, RW_HDR, nsec, &hd.ns);
	else if (n3)
		p = put_nsec3(p, out, base, n3blk, n3, apex_at(q, b), &hd.ns);
	return eng_finish(cfg, q, env, &hd, out, (size_t)(p - out));
}

/*
 * A wildcard answer with DNSSEC in an NSEC3 zone (RFC 4592 §3.3.1, RFC
 * 5155 §7.2.6): the wildcard's RRset of a plain type and its RRSIGs owned
 * by the query name (a pointer to it), then the NSEC3 covering the next
 * closer name (the query name: its hash made ahead, fast_nx3_begin) and
 * its RRSIGs, as the general path writes them.
 */
__attribute__((noinline)) size_t fast_wild3(const struct ans_cfg *cfg, const struct qry *q,
					    const struct eng_probe *b,
					    const struct eng_env *env, uint8_t *out)
{
	uint32_t w = wild3_source(q, b);
	if (b->nx3 != NX3_WILD || w == SNAP_NONE || q->qlabels + 1u > RW_CT_MAX)
		return 0;
	const uint8_t *base = b->base;
	const struct snap_node *n = &snap_node_tab(base, b->h)[w];
	const struct snap_rrset *rs = snap_rrset_in(snap_node_rrsets(b->z, n),
						    snap_node_nrrsets(base, n), q->qtype);
	if (!rs || !rs->count)
		return 0;	/* wildcard NODATA */
	const struct snap_rrset *n3 = nsec3_at(base, b->nx3blk[0]);
	size_t end = RW_HDR + q->qname_len + 4u + signed_size(rs) +
		     nsec3_size(base, b->nx3blk[0], n3);
	if (end + env->optlen > env->limit || end > FAST_PTR_REACH)
		return 0;
	struct eng_head hd = { .ede = -1, .aa = true, .qd = 1 };
	uint8_t *p = eng_question(q, out);
	p = put_signed(p, base, RW_HDR, rs, &hd.an);
	p = put_nsec3(p, out, base, b->nx3blk[0], n3, apex_at(q, b), &hd.ns);
	return eng_finish(cfg, q, env, &hd, out, (size_t)(p - out));
}

/* ---- NSEC ---- */

/* A DO query of class IN to an NSEC-signed zone other than the root, whose
 * chain has its search index (zones/nsecord.h). */
static bool nsec_do(const struct qry *q, const struct eng_probe *b)
{
	const struct snap_header *h = b->h;
	return q->qclass == RR_CLASS_IN && q->do_bit && (h->flags & SNAP_F_SIGNED) &&
	       (h->flags & SNAP_F_NSEC) && !(h->flags & SNAP_F_NSEC3) && h->origin_labels > 0 &&
	       snap_nsecord(b->z) != NULL;
}

/* rwrite's table as the general path has it after the question (every
 * suffix of the query name) and, when f is not NULL, the negative SOA
 * fragment f; w writes on at p. */
static void table_after(struct rw *w, uint8_t *out, const uint8_t *p, const struct qry *q,
			const struct eng_probe *b, const uint8_t *f, size_t limit)
{
	rw_init(w, out, limit);
	w->pos = (size_t)(p - out);
	for (unsigned i = 0; i < q->qlabels; i++)
		rw_target(w, RW_HDR + q->qlo[i], q->qlabels - i);
	if (f)
		frag_ct_apply(snap_negsoa_ct(b->z), w,
			      q->qname_len - dname_len(b->base + b->h->origin));
}

/* Bytes put_nsec writes at most for node's NSEC RRset rs. */
static size_t nsec_size(const uint8_t *base, const struct snap_node *n,
			const struct snap_rrset *rs)
{
	return dname_len(base + n->name) + signed_size(rs);
}

/* The NSEC RRset rs of node n with its RRSIGs, the owner name compressed
 * by rwrite against what w has seen (as eng_put writes it), the other
 * records owned by a pointer to the same name (a pointer's target when
 * the owner is one).  The caller made room (nsec_size). */
static void put_nsec(struct rw *w, const uint8_t *base, const struct snap_node *n,
		     const struct snap_rrset *rs, uint16_t *ns)
{
	size_t at = w->pos;
	rw_name(w, base + n->name);
	const uint8_t *o = w->buf + at;
	uint16_t own = w->pos - at == 2 && (o[0] & 0xc0) == 0xc0
			       ? (uint16_t)((o[0] & 0x3f) << 8 | o[1])
			       : (uint16_t)at;
	/* the first record: rw_rr_head's fields after the owner */
	uint8_t *p = w->buf + w->pos;
	const uint8_t *rd = base + rs->rdata;
	size_t len = 2u + (size_t)(rd[0] << 8 | rd[1]);
	uint8_t head[10];
	rw_rr_head(head, own, rs->type, rs->ttl);
	eng_copy(p, head + 2, 8);
	eng_copy(p + 8, rd, len);
	p = eng_put_owned(p + 8 + len, own, rs->type, rs->ttl, rd + len, (uint16_t)(rs->count - 1));
	p = eng_put_owned(p, own, RR_RRSIG, rs->sig_ttl, base + snap_rrset_sigs(rs), rs->nsigs);
	*ns = (uint16_t)(*ns + rs->count + rs->nsigs);
	w->pos = (size_t)(p - w->buf);
}

/* The NSEC owner whose record matches or covers name (the index answers:
 * nsec_do), its node and NSEC RRset. */
static const struct snap_rrset *nsec_cover(const struct eng_probe *b, const uint8_t *name,
					   uint32_t *node)
{
	if (!nsecord_pred(snap_nsecord(b->z), b->z, name, node))
		return NULL;
	return snap_rrset_of(b->z, &snap_node_tab(b->base, b->h)[*node], RR_NSEC);
}

/*
 * NXDOMAIN with DNSSEC in an NSEC zone (RFC 4035 §3.1.3.2), for a name
 * whose closest encloser the pipeline knows as fast_nx does: the SOA and
 * its RRSIGs (the snapshot's fragment), the NSEC covering the name and the
 * one covering the wildcard at the encloser (once if they are one), with
 * their RRSIGs, as dnssec.c's dsec_nxdomain finds and answer.c writes them.
 */
static size_t fast_nxsec(const struct ans_cfg *cfg, const struct qry *q,
			 const struct eng_probe *b, const struct eng_env *env, uint8_t *out)
{
	const struct snap_header *h = b->h;
	const uint8_t *base = b->base, *f = snap_negsoa(b->z);
	if (!f || !nsec_do(q, b) || !frag_fits_q(f, q, h->origin_labels, 0))
		return 0;
	uint32_t ce = nx_encloser(q, b);
	if (ce == SNAP_NONE)
		return 0;
	const struct snap_node *nodes = snap_node_tab(base, h);
	uint8_t star[DNAME_MAX + 2] = { 1, '*' };
	const uint8_t *cn = base + nodes[ce].name;
	memcpy(star + 2, cn, dname_len(cn));
	uint32_t own[2];
	const struct snap_rrset *rs[2] = { nsec_cover(b, q->qname, &own[0]),
					   nsec_cover(b, star, &own[1]) };
	if (!rs[0] || !rs[1])
		return 0;
	if (own[1] == own[0])
		rs[1] = NULL;	/* RFC 4035 §3.1.3.2: one NSEC may prove both */
	size_t end = RW_HDR + q->qname_len + 4u + frag_u16(f, 4);
	for (int k = 0; k < 2; k++)
		if (rs[k])
			end += nsec_size(base, &nodes[own[k]], rs[k]);
	if (end + env->optlen > env->limit || end > FAST_PTR_REACH)
		return 0;
	uint8_t *p = put_negsoa(eng_question(q, out), f, q, b);
	struct rw w;
	table_after(&w, out, p, q, b, f, env->limit - env->optlen);
	struct eng_head hd = { .rcode = RCODE_NXDOMAIN, .ede = -1, .aa = true, .qd = 1,
			       .ns = frag_u16(f, 0) };
	for (int k = 0; k < 2; k++)
		if (rs[k])
			put_nsec(&w, base, &nodes[own[k]], rs[k], &hd.ns);
	return eng_finish(cfg, q, env, &hd, out, w.pos);
}

/*
 * A wildcard answer with DNSSEC in an NSEC zone (RFC 4592 §3.3.1, RFC
 * 4035 §3.1.3.3): the wildcard's RRset of a plain type and its RRSIGs
 * owned by the query name (a pointer to it), then the NSEC covering the
 * query name and its RRSIGs.
 */
static size_t fast_wildsec(const struct ans_cfg *cfg, const struct qry *q,
			   const struct eng_probe *b, const struct eng_env *env, uint8_t *out)
{
	if (!nsec_do(q, b) || q->qlabels > RW_CT_MAX)
		return 0;
	uint32_t w = wild_source(q, b);
	if (w == SNAP_NONE)
		return 0;
	const uint8_t *base = b->base;
	const struct snap_node *nodes = snap_node_tab(base, b->h);
	const struct snap_rrset *rs = snap_rrset_in(snap_node_rrsets(b->z, &nodes[w]),
						    snap_node_nrrsets(base, &nodes[w]), q->qtype);
	uint32_t own;
	const struct snap_rrset *nsec = nsec_cover(b, q->qname, &own);
	if (!rs || !rs->count || !nsec)
		return 0;	/* wildcard NODATA; or no index */
	size_t end = RW_HDR + q->qname_len + 4u + signed_size(rs) +
		     nsec_size(base, &nodes[own], nsec);
	if (end + env->optlen > env->limit || end > FAST_PTR_REACH)
		return 0;
	struct eng_head hd = { .ede = -1, .aa = true, .qd = 1 };
	uint8_t *p = eng_question(q, out);
	p = put_signed(p, base, RW_HDR, rs, &hd.an);
	struct rw wr;
	table_after(&wr, out, p, q, b, NULL, env->limit - env->optlen);
	put_nsec(&wr, base, &nodes[own], nsec, &hd.ns);
	return eng_finish(cfg, q, env, &hd, out, wr.pos);
}

__attribute__((noinline)) size_t fast_nsec(const struct ans_cfg *cfg, const struct qry *q,
					   const struct eng_probe *b,
					   const struct eng_env *env, uint8_t *out, bool *answer)
{
	if (!nsec_do(q, b))
		return 0;
	size_t n = fast_wildsec(cfg, q, b, env, out);
	*answer = n != 0;
	return n ? n : fast_nxsec(cfg, q, b, env, out);
}
