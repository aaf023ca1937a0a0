/*
 * answer.c - the general path of the answer engine: record selection per
 * the RFCs (RFC 1034 §4.3.2: exact match, CNAME chains, DNAME, referrals,
 * wildcards, NXDOMAIN/NODATA, additional data) for every query the fast
 * paths (fast.c) do not answer, written after the question, then the
 * header and OPT (reply.h).  DNSSEC denial lives in dnssec.c, CHAOS in
 * chaos.c; the burst pipeline that calls this is burst.c.
 */
#include "dataplane/answer.h"

#include <stdint.h>
#include <string.h>

#include "zones/dname.h"
#include "dataplane/engine.h"
#include "zones/rrtype.h"

bool eng_put(struct eng *e, int sect, const uint8_t *owner, const struct snap_rrset *rs,
	     uint32_t ttl_cap)
{
	if (e->tc)
		return false;
	struct rw_mark m;
	rw_mark(e->w, &m);
	uint32_t ttl = rs->ttl < ttl_cap ? rs->ttl : ttl_cap;
	bool ok = rw_rrset(e->w, sect, owner, rs->type, RR_CLASS_IN, ttl, e->base + rs->rdata,
			   rs->count);
	if (ok && e->dnssec && rs->nsigs) {
		uint32_t sttl = rs->sig_ttl < ttl_cap ? rs->sig_ttl : ttl_cap;
		ok = rw_rrset(e->w, sect, owner, RR_RRSIG, RR_CLASS_IN, sttl, e->base + snap_rrset_sigs(rs),
			      rs->nsigs);
		if (!ok)
			rw_rollback(e->w, &m);
	}
	if (!ok) {
		/* RFC 2181 §9: TC only when required data is missing; additional
		 * data is optional. */
		if (sect != RW_AR)
			e->tc = true;
		return false;
	}
	if (sect == RW_AR)
		return true;
	/* Names whose addresses go in the additional section. */
	int skip = rrtype_addl_at(rs->type);
	if (skip < 0)
		return true;
	const uint8_t *rd = e->base + rs->rdata;
	for (uint16_t i = 0; i < rs->count && e->naddl < ENG_ADDL_MAX; i++) {
		uint16_t len = (uint16_t)(rd[0] << 8 | rd[1]);
		e->addl[e->naddl++] = rd + 2 + skip;
		rd += 2 + len;
	}
	return true;
}

static void use_zone(struct eng *e, const struct snap *z)
{
	e->z = z;
	e->h = snap_hdr(z);
	e->base = snap_base(z);
	e->nodes = snap_nodes(z);
	e->dnssec = e->q->do_bit && (e->h->flags & SNAP_F_SIGNED);
}

static const uint8_t *origin(const struct eng *e)
{
	return e->base + e->h->origin;
}



/* RFC 2308 §3: the SOA in the authority section of a negative answer, its
 * TTL (and its RRSIG's) lowered to the negative TTL; soa_direct without
 * DNSSEC. */
static void put_soa(struct eng *e)
{
	const struct snap_rrset *soa = (const struct snap_rrset *)(e->base + e->h->soa);
	if (e->tc)
		return;
	struct rw *w = e->w;
	size_t n = e->dnssec ? 0 : eng_soa_direct(e->q, e->h, e->base, w->buf + w->pos,
						  w->limit - w->pos);
	if (n == ENG_SOA_NO_ROOM) {
		e->tc = true;
	} else if (n) {
		w->pos += n;
		w->cnt[RW_NS]++;
	} else {
		eng_put(e, RW_NS, origin(e), soa, e->h->neg_ttl);
	}
}

static void nodata(struct eng *e, const uint8_t *name, uint32_t node, uint32_t wild)
{
	put_soa(e);
	if (!e->dnssec)
		return;
	if (wild == SNAP_NONE)
		dsec_nodata(e, name, node);
	else
		dsec_wildcard_nodata(e, name, e->nodes[wild].parent, wild);
}

static void nxdomain(struct eng *e, const uint8_t *name, uint32_t ce)
{
	/* RFC 6604 §2.1: after a CNAME chain the RCODE is the last name's. */
	e->rcode = RCODE_NXDOMAIN;
	put_soa(e);
	if (e->dnssec)
		dsec_nxdomain(e, name, ce);
}

/* RFC 1034 §4.3.2 step 3b: a referral to the cut, for name, whose
 * closest encloser (the deepest existing node at or above it) is ce. */
static void referral(struct eng *e, const uint8_t *name, uint32_t ce, uint32_t cut,
		     bool first)
{
	const struct snap_node *n = &e->nodes[cut];
	if (first)
		e->aa = false;
	e->cut = eng_name(e, cut);
	const struct snap_rrset *ns = snap_rrset_of(e->z, n, RR_NS);
	if (ns)
		eng_put(e, RW_NS, e->cut, ns, UINT32_MAX);
	if (!e->dnssec)
		return;
	/* RFC 4035 §3.1.4: the DS RRset and its RRSIG, or a proof of none.
	 * For a wildcard cut (RFC 4592 §4.2) that proof is, as Knot gives
	 * it, the wildcard's NODATA proof for DS (RFC 4035 §3.1.3.4, RFC
	 * 5155 §7.2.5) from the closest encloser of the name. */
	const struct snap_rrset *ds = snap_rrset_of(e->z, n, RR_DS);
	if (ds)
		eng_put(e, RW_NS, eng_name(e, cut), ds, UINT32_MAX);
	else if (snap_node_flags(e->base, n) & SNAP_N_WILDCARD)
		dsec_wildcard_nodata(e, name, ce, cut);
	else
		dsec_nods(e, cut);
}

/* An NSEC3 owner (hashed name) is not a name of the zone's tree (RFC 5155
 * §7.2.8 treats queries for it like any other non-existent name). */
static bool hashed_owner(const struct eng *e, uint32_t node)
{
	return (snap_node_flags(e->base, &e->nodes[node]) & SNAP_N_NSEC3) != 0;
}

/* RFC 4035 §3.1.3.3, RFC 5155 §7.2.6: a wildcard expansion needs the
 * proof that no closer match exists; it goes in the authority section, so
 * it waits until the answer section is complete. */
static void wild_later(struct eng *e, const uint8_t *name, uint32_t wild)
{
	if (e->nwild < ENG_CHAIN_MAX) {
		e->wname[e->nwild] = name;
		e->wnode[e->nwild++] = wild;
	}
}

/* RFC 4592 §3.3.1: the source of synthesis "*.<ce>" for a name whose
 * closest encloser is ce, or SNAP_NONE.  "*" sorts before almost every
 * other label (RFC 4034 §6.1), so it is nearly always the node right after
 * ce: no hash probe then. */
static uint32_t wild_child(const struct eng *e, uint32_t ce)
{
	if (!(snap_node_flags(e->base, &e->nodes[ce]) & SNAP_N_WILD_CHILD))
		return SNAP_NONE;
	uint32_t k = ce + 1;
	if (k < e->h->nnodes && e->nodes[k].parent == ce &&
	    (snap_node_flags(e->base, &e->nodes[k]) & SNAP_N_WILDCARD))
		return k;
	uint8_t star[DNAME_MAX + 2];
	const uint8_t *n = eng_name(e, ce);
	star[0] = 1;
	star[1] = '*';
	memcpy(star + 2, n, dname_len(n));
	return snap_find(e->z, star, &k) ? k : SNAP_NONE;
}

/*
 * Answers at node (the name itself, or the wildcard that matched it: wild
 * == node then).  Returns the CNAME target to follow, or NULL when the
 * answer is complete.
 */
static const uint8_t *at_node(struct eng *e, const uint8_t *name, const uint8_t *owner,
			      uint32_t node, bool wild)
{
	const struct snap_node *n = &e->nodes[node];
	const struct snap_rrset *rs = snap_node_rrsets(e->z, n);
	const struct snap_rrset *end = rs + snap_node_nrrsets(e->base, n);
	uint16_t qt = e->q->qtype;

	if (qt == RR_ANY) {
		/* RFC 8482 §4.2: one RRset of the name (the first, as Knot);
		 * count 0 marks stray RRSIGs, not an RRset. */
		while (rs < end && !rs->count)
			rs++;
		if (rs < end) {
			eng_put(e, RW_AN, owner, rs, UINT32_MAX);
			if (wild && e->dnssec)
				wild_later(e, name, node);
			return NULL;
		}
	} else if (qt == RR_RRSIG) {
		/* RRSIGs are not an RRset of their own: the signatures of the
		 * first signed RRset, as Knot does, with or without DO. */
		for (; rs < end; rs++)
			if (rs->nsigs) {
				if (!rw_rrset(e->w, RW_AN, owner, RR_RRSIG, RR_CLASS_IN, rs->sig_ttl,
					      e->base + snap_rrset_sigs(rs), rs->nsigs))
					e->tc = true;
				return NULL;
			}
	} else {
		const struct snap_rrset *hit = snap_rrset_of(e->z, n, qt);
		if (hit) {
			eng_put(e, RW_AN, owner, hit, UINT32_MAX);
			if (wild && e->dnssec)
				wild_later(e, name, node);
			return NULL;
		}
		if (snap_node_flags(e->base, n) & SNAP_N_CNAME) {
			/* RFC 1034 §4.3.2 step 3a: the CNAME, then its target. */
			const struct snap_rrset *cn = snap_rrset_of(e->z, n, RR_CNAME);
			if (cn && cn->count) {
				eng_put(e, RW_AN, owner, cn, UINT32_MAX);
				if (wild && e->dnssec)
					wild_later(e, name, node);
				return e->base + cn->rdata + 2;
			}
		}
	}
	nodata(e, name, node, wild ? node : SNAP_NONE);
	return NULL;
}

/* The wire length of the first `labels` labels of name. */
static size_t prefix_len(const uint8_t *name, unsigned labels)
{
	size_t o = 0;
	while (labels--)
		o += name[o] + 1u;
	return o;
}

/* RFC 1034 §4.3.2 for a name of the zone, following CNAME and DNAME
 * redirections that stay inside it. */
static void chain(struct eng *e)
{
	const uint8_t *name = e->q->qname;
	const uint8_t *owner = NULL;	/* NULL: the question's spelling */
	uint32_t seen[ENG_CHAIN_MAX];
	unsigned nseen = 0;

	for (unsigned hop = 0; hop < ENG_CHAIN_MAX; hop++) {
		uint32_t ni;
		/* the query name: hash and labels from the parser, perhaps
		 * probed already by the burst pipeline */
		bool found = hop == 0 ? snap_find_q(e->z, name, e->q->qlabels, (uint32_t)e->q->qhash,
						    e->skip, e->first, &ni)
				      : snap_find(e->z, name, &ni);
		if (hashed_owner(e, ni)) {
			found = false;
			ni = e->nodes[ni].parent;
		}
		const struct snap_node *n = &e->nodes[ni];
		uint32_t nf = snap_node_flags(e->base, n);

		if (nf & (SNAP_N_CUT | SNAP_N_OCCLUDED)) {
			/* RFC 4035 §3.1.4.1: DS at a cut is the parent's data. */
			bool ds_here = found && !(nf & SNAP_N_OCCLUDED) &&
				       e->q->qtype == RR_DS;
			if (!ds_here) {
				referral(e, name, ni, n->cut != SNAP_NONE ? n->cut : ni, hop == 0);
				return;
			}
		}

		uint32_t src = ni;	/* node whose data answers */
		bool wild = false;
		if (!found) {
			if (nf & SNAP_N_DNAME) {
				/* RFC 6672 §2.2, §3.1: DNAME, then a CNAME synthesized
				 * with the DNAME's TTL. */
				const struct snap_rrset *dn = snap_rrset_of(e->z, n, RR_DNAME);
				if (!dn || !dn->count) {
					nxdomain(e, name, ni);
					return;
				}
				eng_put(e, RW_AN, eng_name(e, ni), dn, UINT32_MAX);
				const uint8_t *target = e->base + dn->rdata + 2;
				size_t plen = prefix_len(name, dname_labels(name) - snap_node_labels(e->base, n));
				size_t tlen = dname_len(target);
				if (plen + tlen > DNAME_MAX) {
					e->rcode = RCODE_YXDOMAIN;
					return;
				}
				uint8_t *next = e->synth[hop & 1];
				/* the query's labels lowercased, as Knot writes them */
				for (size_t i = 0; i < plen; i++)
					next[i] = dname_lc(name[i]);
				memcpy(next + plen, target, tlen);
				if (!e->tc && !rw_rr(e->w, RW_AN, owner, RR_CNAME, RR_CLASS_IN, dn->ttl,
						     next, (uint16_t)(plen + tlen)))
					e->tc = true;
				/* a CNAME query: the synthesized CNAME is its answer
				 * (RFC 1034 §4.3.2 step 3a, the type matches; as
				 * Knot and BIND) */
				if (e->q->qtype == RR_CNAME || !dname_in(next, origin(e)))
					return;
				name = owner = next;
				continue;
			}
			src = wild_child(e, ni);
			if (src == SNAP_NONE) {
				nxdomain(e, name, ni);
				return;
			}
			/* RFC 4592 §4.2 leaves a wildcard that owns an NS RRset
			 * undefined.  As Knot: a referral to the wildcard as it
			 * is (owner "*.<ce>", not synthesized; AA=0 as for any
			 * cut), except for DS, which is the parent side's data
			 * (RFC 4035 §3.1.4.1), synthesized like any other type.
			 * With DO, the proof that no closer match exists (RFC
			 * 4035 §3.1.3.3, RFC 5155 §7.2.6) follows, as Knot. */
			if ((snap_node_flags(e->base, &e->nodes[src]) & SNAP_N_CUT) && e->q->qtype != RR_DS) {
				if (e->dnssec)
					wild_later(e, name, src);
				referral(e, name, ni, src, hop == 0);
				return;
			}
			wild = e->wild = true;
		} else if (!snap_node_nrrsets(e->base, n)) {
			nodata(e, name, ni, SNAP_NONE);	/* empty non-terminal */
			return;
		}

		for (unsigned i = 0; i < nseen; i++)
			if (seen[i] == src)
				return;	/* a CNAME loop: stop where it closes */
		seen[nseen++] = src;

		const uint8_t *target = at_node(e, name, owner, src, wild);
		if (!target || !dname_in(target, origin(e)))
			return;
		name = owner = target;
	}
}

static void resolve(struct eng *e)
{
	chain(e);
	for (unsigned i = 0; i < e->nwild; i++)
		dsec_wildcard(e, e->wname[i], e->wnode[i]);
}

/* The wildcard whose addresses answer for an additional-section target
 * that does not exist, its closest encloser being ce (RFC 4592 §3.3.1), or
 * SNAP_NONE: only where chain() would synthesize them.  Not at or below a
 * cut (RFC 1034 §4.3.3: "delegation cancels the wildcard defaults"; Knot
 * synthesizes from such an occluded wildcard too), not from a wildcard
 * that is a cut itself (a referral, RFC 4592 §4.2), and not below a DNAME
 * (a redirection, RFC 6672 §2.3; the compiler refuses names there). */
static uint32_t addl_wild(const struct eng *e, uint32_t ce)
{
	if (snap_node_flags(e->base, &e->nodes[ce]) & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_DNAME))
		return SNAP_NONE;
	uint32_t w = wild_child(e, ce);
	if (w != SNAP_NONE && (snap_node_flags(e->base, &e->nodes[w]) & SNAP_N_CUT))
		return SNAP_NONE;
	return w;
}

/* RFC 1034 §4.3.2 step 6: addresses of NS/MX/SRV targets inside the zone
 * (glue included), each name once (RFC 2181 §5.5).  Additional data is
 * optional (RFC 2181 §9), except in a referral the glue of name servers
 * below the cut: all of it goes in, or TC is set (RFC 9471 §3.1; sibling
 * glue stays optional, §3.2).  A target that exists
 * only through a wildcard gets the wildcard's addresses (and their RRSIGs)
 * with the target as owner, as Knot does: RFC 4592 §3.3.1 synthesis,
 * without the denial proofs of the answer path (additional data is
 * optional, RFC 2181 §9; Knot adds none either). */
static void additional(struct eng *e)
{
	uint32_t done[ENG_ADDL_MAX];
	const uint8_t *as[ENG_ADDL_MAX];	/* synthesized owner, or NULL */
	unsigned ndone = 0;
	for (unsigned i = 0; i < e->naddl; i++) {
		const uint8_t *t = e->addl[i];
		uint32_t ni = SNAP_UNPROBED;
		/* the burst pipeline's lookup of this very name (same rdata
		 * bytes): in the zone, and absent or a candidate to confirm */
		for (unsigned k = 0; k < e->nknown; k++)
			if (e->kname[k] == t) {
				ni = e->knode[k];
				if (ni != SNAP_NONE &&
				    !snap_name_eq(&e->nodes[ni], e->base, t, dname_len(t)))
					ni = SNAP_UNPROBED;	/* hash collision */
				break;
			}
		bool found;
		if (ni == SNAP_NONE) {
			/* absent: its closest encloser, the name not probed again */
			found = snap_find_q(e->z, t, dname_labels(t), 0, 1, SNAP_UNPROBED, &ni);
		} else if (ni == SNAP_UNPROBED) {
			if (!dname_in(t, origin(e)))
				continue;
			found = snap_find(e->z, t, &ni);
		} else {
			found = true;
		}
		if (found && hashed_owner(e, ni)) {
			found = false;
			ni = e->nodes[ni].parent;
		}
		const uint8_t *owner = NULL;
		if (!found) {
			ni = addl_wild(e, ni);
			if (ni == SNAP_NONE)
				continue;
			owner = t;
		}
		bool dup = false;
		for (unsigned j = 0; j < ndone && !dup; j++)
			dup = done[j] == ni &&
			      (owner ? as[j] && dname_eq(as[j], owner) : !as[j]);
		if (dup)
			continue;
		done[ndone] = ni;
		as[ndone++] = owner;
		if (!owner)
			owner = eng_name(e, ni);
		const struct snap_node *n = &e->nodes[ni];
		const struct snap_rrset *a = snap_rrset_of(e->z, n, RR_A);
		const struct snap_rrset *aaaa = snap_rrset_of(e->z, n, RR_AAAA);
		if ((a && !eng_put(e, RW_AR, owner, a, UINT32_MAX)) ||
		    (aaaa && !eng_put(e, RW_AR, owner, aaaa, UINT32_MAX))) {
			if (e->cut && dname_in(owner, e->cut))
				e->tc = true;	/* in-domain glue left out */
			return;
		}
	}
}

/* zknown: z is the zone index's answer for the query name already. */
static void dispatch(struct eng *e, const struct zidx *root, bool tcp, bool zknown,
		     const struct snap *z)
{
	const struct qry *q = e->q;
	if (q->qclass == RR_CLASS_CH) {
		chaos_answer(e);
		return;
	}
	/* Class ANY is answered from the IN data, as Knot does. */
	if (q->qclass != RR_CLASS_IN && q->qclass != RR_CLASS_ANY) {
		e->rcode = RCODE_REFUSED;
		return;
	}
	/* Zone transfers are the control plane's; here, as Knot answers
	 * when no ACL allows them: NOTAUTH, and NOTIMP for AXFR over UDP
	 * (RFC 5936 §4.2: AXFR only over TCP). */
	if (q->qtype == RR_AXFR || q->qtype == RR_IXFR) {
		e->rcode = (q->qtype == RR_AXFR && !tcp) ? RCODE_NOTIMP : RCODE_NOTAUTH;
		return;
	}
	if (!zknown)
		z = eng_find_zone(root, q);
	if (!z) {
		e->rcode = RCODE_REFUSED;
		e->ede = EDE_NOT_AUTHORITATIVE;
		return;
	}
	e->zslot = snap_slot(z);
	/* a secondary zone whose primaries stayed silent past its SOA's
	 * expire time is no longer answered for (RFC 1035 §3.3.13); the
	 * Extended DNS Error is Invalid Data (RFC 8914 §4.25), as NSD gives
	 * for an expired zone */
	if (snap_expired(z)) {
		e->rcode = RCODE_SERVFAIL;
		e->ede = EDE_INVALID_DATA;
		return;
	}
	use_zone(e, z);
	e->aa = true;
	resolve(e);
	if (!e->tc)
		additional(e);
}

size_t eng_general(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct eng_query *x, const struct eng_env *env, uint8_t *out,
		   struct ans_outcome *oc)
{
	const struct qry *q = &x->q;
	const struct eng_probe *p = &x->p;
	struct rw w;
	rw_init(&w, out, env->limit - env->optlen);
	/* Field by field: the DNAME buffers and proof lists (~800 bytes) need
	 * no clearing, and this runs for every packet. */
	struct eng e;
	e.cfg = cfg;
	e.q = q;
	e.w = &w;
	e.z = NULL;
	e.dnssec = e.aa = e.tc = false;
	e.cut = NULL;
	e.first = p->first;
	e.skip = p->skip;
	e.kname = p->tname;
	e.knode = p->tn;
	e.nknown = p->nt;
	e.rcode = 0;
	e.ede = -1;
	e.zslot = 0;
	e.wild = false;
	e.naddl = e.nwild = e.nproof = 0;
	/* answering in place, the question is where it was sent: the writer
	 * leaves it there, the rest of the engine reads it there */
	if (q->has_q)
		rw_question_q(&w, q->qname, q->qname_len, q->qlo, q->qlabels, q->qtype,
			      q->qclass);
	struct rw_mark after_q;
	rw_mark(&w, &after_q);

	switch (x->st) {
	case QRY_FORMERR: e.rcode = RCODE_FORMERR; break;
	case QRY_NOTIMP: e.rcode = RCODE_NOTIMP; break;
	case QRY_BADVERS: e.rcode = RCODE_BADVERS; break;
	case QRY_BADCOOKIE: e.rcode = RCODE_BADCOOKIE; break;
	default: dispatch(&e, root, env->tcp, p->zknown, p->z); break;
	}
	if (e.tc)
		rw_rollback(&w, &after_q);	/* as Knot: no records with TC=1 */

	struct eng_head hd = {
		.rcode = e.rcode, .ede = e.ede, .aa = e.aa, .tc = e.tc,
		.qd = q->has_q ? 1 : 0, .an = w.cnt[RW_AN], .ns = w.cnt[RW_NS], .ar = w.cnt[RW_AR],
	};
	oc->path = ANS_PATH_FULL;
	oc->rcode = (uint16_t)e.rcode;
	oc->tc = e.tc;
	oc->zslot = e.zslot;
	oc->wild = e.wild && e.rcode == RCODE_NOERROR && w.cnt[RW_AN] > 0;
	return eng_finish(cfg, q, env, &hd, out, w.pos);
}
