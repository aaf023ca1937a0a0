/*
 * answer.c - ans_respond: parse the query, pick the zone, select the
 * records (RFC 1034 §4.3.2: exact match, CNAME chains, DNAME, referrals,
 * wildcards, NXDOMAIN/NODATA) and write them with the header and OPT.
 * DNSSEC denial lives in dnssec.c, CHAOS in chaos.c.
 */
#include "dataplane/answer.h"

#include <stdint.h>
#include <string.h>

#include "zones/dname.h"
#include "dataplane/engine.h"
#include "zones/rrtype.h"

#define DEFAULT_MAX_UDP 1232	/* RFC 6891 §6.2.5, the DNS flag day 2020 value */
#define OPT_FIXED 11		/* root name, type, class, ttl, rdlength */

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

/* One name of the SOA RDATA at p, compressed against the question: a
 * pointer to the suffix of the query name it equals, else its labels
 * above the apex then a pointer to the apex in the query name, or, for a
 * name outside the zone, written whole.  len/labels: the name's; o/ol the
 * apex name and its label count, olen its length, opos the offset of the
 * apex in the question. */
static uint8_t *soa_name(const struct qry *q, const uint8_t *o, unsigned ol, uint8_t *p,
			 const uint8_t *name, size_t len, unsigned labels, size_t olen,
			 uint16_t opos)
{
	if (labels < ol || len < olen ||
	    (!dname_bytes_same(name + (len - olen), o, olen) && !dname_eq(name + (len - olen), o))) {
		memcpy(p, name, len);
		return p + len;
	}
	size_t pre = len - olen;
	if (labels <= q->qlabels) {
		size_t at = q->qlo[q->qlabels - labels];
		if (q->qname_len - at == len) {
			bool eq = true;
			for (size_t i = 0; i < pre && eq; i++)
				eq = dname_lc(q->qname[at + i]) == dname_lc(name[i]);
			if (eq) {
				p[0] = (uint8_t)(0xc0 | (RW_HDR + at) >> 8);
				p[1] = (uint8_t)(RW_HDR + at);
				return p + 2;
			}
		}
	}
	memcpy(p, name, pre);
	p[pre] = (uint8_t)(0xc0 | opos >> 8);
	p[pre + 1] = (uint8_t)opos;
	return p + pre + 2;
}

/* RFC 2308 §3: the SOA of a negative answer, without DNSSEC, encoded at p
 * with no search of a compression table: the owner is the apex, which
 * ends the query name (the question is of this zone), so a pointer to it
 * there; MNAME and RNAME as soa_name() says.  Its TTL is the negative TTL
 * (RFC 2308 §5).  Returns the bytes written, 0 when this encoding does not
 * apply (several SOA records, a root zone), SOA_NO_ROOM when room may not
 * hold it. */
#define SOA_NO_ROOM SIZE_MAX
static size_t soa_direct(const struct qry *q, const struct snap_header *h, const uint8_t *base,
			 uint8_t *start, size_t room)
{
	const struct snap_rrset *soa = (const struct snap_rrset *)(base + h->soa);
	unsigned ol = h->origin_labels;
	if (ol == 0 || q->qlabels < ol || soa->count != 1)
		return 0;
	const uint8_t *rd = base + soa->rdata;
	uint16_t rdlen = (uint16_t)(rd[0] << 8 | rd[1]);
	/* the most it can take: the names uncompressed */
	if (room < 12u + rdlen)
		return SOA_NO_ROOM;
	const uint8_t *mname = rd + 2, *o = base + h->origin;
	size_t olen = (size_t)q->qname_len - q->qlo[q->qlabels - ol];
	uint16_t opos = (uint16_t)(RW_HDR + q->qlo[q->qlabels - ol]);
	uint32_t ttl = soa->ttl < h->neg_ttl ? soa->ttl : h->neg_ttl;
	uint8_t *p = rw_rr_head(start, opos, RR_SOA, ttl) + 2;
	unsigned ml = dname_labels(mname);
	size_t mlen = dname_len(mname);
	const uint8_t *rname = mname + mlen;
	unsigned rl = dname_labels(rname);
	size_t rlen = dname_len(rname);
	p = soa_name(q, o, ol, p, mname, mlen, ml, olen, opos);
	p = soa_name(q, o, ol, p, rname, rlen, rl, olen, opos);
	memcpy(p, rname + rlen, 20);
	p += 20;
	size_t n = (size_t)(p - start);
	start[10] = (uint8_t)((n - 12) >> 8);
	start[11] = (uint8_t)(n - 12);
	return n;
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
	size_t n = e->dnssec ? 0 : soa_direct(e->q, e->h, e->base, w->buf + w->pos,
					      w->limit - w->pos);
	if (n == SOA_NO_ROOM) {
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
	const struct snap_rrset *ns = snap_rrset_of(e->z, n, RR_NS);
	if (ns)
		eng_put(e, RW_NS, eng_name(e, cut), ns, UINT32_MAX);
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
				if (!dname_in(next, origin(e)))
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
			wild = true;
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
 * (glue included), each name once (RFC 2181 §5.5).  A target that exists
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
		if (a && !eng_put(e, RW_AR, owner, a, UINT32_MAX))
			return;
		if (aaaa && !eng_put(e, RW_AR, owner, aaaa, UINT32_MAX))
			return;
	}
}

/* What dispatch() looks up in the zone index; the burst pipeline does it
 * ahead of time for exactly these queries. */
static bool wants_zone(const struct qry *q)
{
	return (q->qclass == RR_CLASS_IN || q->qclass == RR_CLASS_ANY) &&
	       q->qtype != RR_AXFR && q->qtype != RR_IXFR;
}

static const struct snap *find_zone(const struct zidx *root, const struct qry *q)
{
	return zidx_find_q(root, q->qname, q->qname_len, q->qlo, q->qlabels, q->qhash);
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
		z = find_zone(root, q);
	if (!z) {
		e->rcode = RCODE_REFUSED;
		e->ede = EDE_NOT_AUTHORITATIVE;
		return;
	}
	use_zone(e, z);
	e->aa = true;
	resolve(e);
	if (!e->tc)
		additional(e);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The OPT RR of the response (RFC 6891 §6.1.2, §6.1.3); room for it was
 * kept.  EDE goes in only when there is room to spare. */
static size_t put_opt(const struct ans_cfg *cfg, const struct qry *q, unsigned rcode, int ede,
		      uint8_t *p, size_t room, bool nsid)
{
	uint16_t max_udp = cfg->max_udp ? cfg->max_udp : DEFAULT_MAX_UDP;
	size_t n = OPT_FIXED;
	p[0] = 0;
	put16(p + 1, RR_OPT);
	put16(p + 3, max_udp < 512 ? 512 : max_udp);
	p[5] = (uint8_t)(rcode >> 4);
	p[6] = 0;
	p[7] = q->do_bit ? 0x80 : 0;
	p[8] = 0;
	if (nsid) {
		put16(p + n, EDNS_OPT_NSID);
		put16(p + n + 2, cfg->nsid_len);
		memcpy(p + n + 4, cfg->nsid, cfg->nsid_len);
		n += 4u + cfg->nsid_len;
	}
	if (ede >= 0 && room >= n + 6) {
		put16(p + n, EDNS_OPT_EDE);
		put16(p + n + 2, 2);
		put16(p + n + 4, (uint16_t)ede);
		n += 6;
	}
	put16(p + 9, (uint16_t)(n - OPT_FIXED));
	return n;
}

/* Names of an answer or referral whose addresses the burst prefetches. */
#define BQ_TARGETS 4

/* One query of a burst: parsed (stage 1), its zone and owner node perhaps
 * looked up (stages 2-4). */
struct bq {
	struct qry q;
	enum qry_status st;
	bool zknown;		/* z is the zone index's answer */
	const struct snap *z;
	uint8_t skip;		/* suffixes known absent */
	uint32_t hv;		/* hash of the suffix being probed */
	uint32_t blk;		/* that suffix's candidate block, SNAP_NONE */
	uint32_t first;		/* its node (a candidate until stage 5 checks the
				   name), SNAP_NONE, SNAP_UNPROBED */
	uint32_t flags;		/* the candidate's flags (block copy) */
	uint8_t fast;		/* stage 4: fast_hit applies, FAST_* */
	/* the zone's image and header (the snap accessors are calls: made
	 * once per zone in a burst), and the RRset of the query type at the
	 * candidate node (not at a cut), once stage 4 looked */
	const uint8_t *base;
	const struct snap_header *h;
	const struct snap_rrset *rs;
	uint8_t nt;
	const uint8_t *tname[BQ_TARGETS];	/* additional-section targets, */
	uint32_t th[BQ_TARGETS];	/* their hashes, */
	uint32_t tn[BQ_TARGETS];	/* then candidate blocks, in stage 5 nodes,
					   or SNAP_NONE */
};

/* What fast_hit copies, as stage 4 found it. */
enum { FAST_NO = 0, FAST_PLAIN = 1, FAST_RESP = 2 };

static inline bool is_node(uint32_t f)
{
	return f != SNAP_NONE && f != SNAP_UNPROBED;
}

static inline const uint64_t *buckets(const struct bq *b)
{
	return (const uint64_t *)(b->base + b->h->buckets);
}

static inline const struct snap_node *nodes_of(const struct bq *b)
{
	return (const struct snap_node *)(b->base + b->h->nodes);
}

static inline const struct snap_block *block(const struct bq *b, uint32_t off)
{
	return snap_block_at(b->base, off);
}

/* A block's name and its RRset entries (4-aligned after the name). */
static inline const uint8_t *block_name(const struct bq *b, uint32_t off)
{
	return b->base + off + sizeof(struct snap_block);
}

static inline const struct snap_rrset *block_rrsets(const struct bq *b, uint32_t off)
{
	return (const struct snap_rrset *)(b->base + snap_block_rrsets(b->base, off));
}

/* Types whose RDATA the writer copies as it is and that need no
 * additional-section processing (SRV, RFC 2782) nor a rule of their own
 * (RRSIG, ANY: at_node). */
static bool plain_rdata(uint16_t t)
{
	return !rw_compressed_type(t) && t != RR_SRV && t != RR_RRSIG && t != RR_ANY;
}

/* Writes count records of one RRset (snapshot entries at rd) owned by the
 * question name, as rw_rrset does with owner NULL. */
static uint8_t *put_plain(uint8_t *p, uint16_t type, uint32_t ttl, const uint8_t *rd,
			  uint16_t count)
{
	for (uint16_t i = 0; i < count; i++) {
		size_t len = 2u + (size_t)(rd[0] << 8 | rd[1]);
		p = rw_rr_head(p, RW_HDR, type, ttl);
		memcpy(p, rd, len);
		p += len;
		rd += len;
	}
	return p;
}

/* The end of a fast path's response, the sections written up to p: the
 * header of an authoritative answer with rcode and the section counts
 * (QDCOUNT 1; ARCOUNT ar plus the OPT), then the OPT.  Returns the
 * length. */
static size_t fast_finish(const struct ans_cfg *cfg, const struct qry *q, uint8_t *out,
			  uint8_t *p, size_t limit, unsigned rcode, unsigned an, unsigned ns,
			  unsigned ar, bool opt, bool nsid)
{
	put16(out, q->id);
	out[2] = (uint8_t)(0x80 | (q->opcode & 0x0f) << 3 | 0x04 | (q->rd ? 0x01 : 0));
	out[3] = (uint8_t)((q->cd ? 0x10 : 0) | rcode);
	put16(out + 4, 1);
	put16(out + 6, (uint16_t)an);
	put16(out + 8, (uint16_t)ns);
	put16(out + 10, (uint16_t)(ar + (opt ? 1 : 0)));
	size_t len = (size_t)(p - out);
	if (opt)
		len += put_opt(cfg, q, rcode, -1, p, limit - len, nsid);
	return len;
}

/*
 * The fast path of stage 5: an exact match (RFC 1034 §4.3.2 step 3a), the
 * commonest answer there is.  The burst pipeline found and checked the
 * node; what remains is to see that nothing else applies (a cut above or
 * at the name, an NSEC3 owner) and that it fits, then to copy the question
 * and either the pre-encoded records (plain RDATA: no names to compress,
 * no additional data; RRSIGs added with DNSSEC) or the compiler's
 * pre-encoded answer (snap_rrset.resp: NS, MX, SRV, CNAME... with their
 * additional section, without DNSSEC).  Byte for byte what the general
 * path (dispatch) writes; 0 when it does not apply.
 */
static size_t fast_hit(const struct ans_cfg *cfg, const struct bq *b, uint8_t *out,
		       size_t limit, bool opt, bool nsid)
{
	const struct qry *q = &b->q;
	const uint8_t *base = b->base;
	/* stage 4 checked the class, the node's flags (no cut, not
	 * occluded, not an NSEC3 owner) and the RRset's kind */
	if (b->fast == FAST_NO)
		return 0;
	const struct snap_rrset *rs = b->rs;
	bool dnssec = q->do_bit && (b->h->flags & SNAP_F_SIGNED);
	size_t optlen = opt ? OPT_FIXED + (nsid ? 4u + cfg->nsid_len : 0) : 0;
	size_t need = RW_HDR + q->qname_len + 4u + optlen;
	uint8_t *p = out + RW_HDR;
	unsigned an = rs->count, ar = 0;
	if (b->fast == FAST_PLAIN) {
		bool sigs = dnssec && rs->nsigs;
		need += 10u * rs->count + rs->rdata_len;
		if (sigs)
			need += 10u * rs->nsigs + rs->sigs_len;
		if (need > limit)
			return 0;
		memcpy(p, q->qname, q->qname_len);
		p += q->qname_len;
		put16(p, q->qtype);
		put16(p + 2, q->qclass);
		p = put_plain(p + 4, rs->type, rs->ttl, base + rs->rdata, rs->count);
		if (sigs) {
			p = put_plain(p, RR_RRSIG, rs->sig_ttl, base + snap_rrset_sigs(rs), rs->nsigs);
			an += rs->nsigs;
		}
	} else {
		const uint8_t *pre = base + rs->rdata + rs->rdata_len;
		size_t body = rs->resp - 2u;
		need += body;
		if (need > limit)
			return 0;
		ar = (unsigned)pre[0] | (unsigned)pre[1] << 8;
		memcpy(p, q->qname, q->qname_len);
		p += q->qname_len;
		put16(p, q->qtype);
		put16(p + 2, q->qclass);
		memcpy(p + 4, pre + 2, body);
		p += 4 + body;
	}
	return fast_finish(cfg, q, out, p, limit, 0, an, 0, ar, opt, nsid);
}

/*
 * The other fast path of stage 5: NXDOMAIN (RFC 1034 §4.3.2 step 3c, RFC
 * 2308 §2.1) without DNSSEC, for a name whose closest encloser the pipeline
 * knows: the apex (the name is one label below it, or two with its parent
 * absent) or the parent it found.  Nothing else may apply there: a cut, a
 * DNAME (RFC 6672 §2.3), a wildcard child (RFC 4592 §3.3.1), an NSEC3
 * owner.  Writes the header, the question and the SOA as the general path
 * does (soa_direct); 0 when it does not apply or fit.
 */
static size_t fast_nx(const struct ans_cfg *cfg, const struct bq *b, uint8_t *out,
		      size_t limit, bool opt, bool nsid)
{
	const struct qry *q = &b->q;
	if (q->qclass != RR_CLASS_IN || (q->do_bit && (b->h->flags & SNAP_F_SIGNED)))
		return 0;
	unsigned ol = b->h->origin_labels;
	uint32_t flags;
	if (b->first == SNAP_NONE && q->qlabels == ol + 1u + b->skip)
		flags = snap_node_flags(b->base, &nodes_of(b)[0]);	/* the apex */
	else if (b->skip == 1 && is_node(b->first))
		flags = b->flags;	/* the parent, its name checked in stage 5 */
	else
		return 0;
	if (flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_DNAME | SNAP_N_WILD_CHILD | SNAP_N_NSEC3))
		return 0;
	size_t optlen = opt ? OPT_FIXED + (nsid ? 4u + cfg->nsid_len : 0) : 0;
	size_t used = RW_HDR + q->qname_len + 4u;
	if (used + optlen > limit)
		return 0;
	size_t n = soa_direct(q, b->h, b->base, out + used, limit - optlen - used);
	if (n == 0 || n == SOA_NO_ROOM)
		return 0;
	uint8_t *p = out + RW_HDR;
	memcpy(p, q->qname, q->qname_len);
	p += q->qname_len;
	put16(p, q->qtype);
	put16(p + 2, q->qclass);
	p += 4 + n;
	return fast_finish(cfg, q, out, p, limit, RCODE_NXDOMAIN, 0, 1, 0, opt, nsid);
}

/* Stage 5: the response, as ans_respond always built it. */
static size_t respond(const struct zidx *root, const struct ans_cfg *cfg,
		      const struct ans_req *req, const struct bq *b, uint8_t *out,
		      size_t outcap, struct ans_outcome *oc)
{
	const struct qry *qp = &b->q;
	enum qry_status st = b->st;
	*oc = (struct ans_outcome){ .qtype = qp->has_q ? qp->qtype : 0 };
	if (st == QRY_DROP || outcap < 512) {
		oc->dropped = true;
		return 0;
	}

	/* RFC 1035 §4.2.1, RFC 6891 §6.2.3-6.2.5: the response size limit. */
	size_t limit;
	if (req->tcp) {
		limit = 65535;
	} else if (qp->edns) {
		uint16_t max_udp = cfg->max_udp ? cfg->max_udp : DEFAULT_MAX_UDP;
		limit = qp->payload < max_udp ? qp->payload : max_udp;
		if (limit < 512)
			limit = 512;
	} else {
		limit = 512;
	}
	if (limit > outcap)
		limit = outcap;
	/* A malformed query gets no OPT: what it carried cannot be trusted
	 * (Knot does the same; RFC 6891 §7 asks only for FORMERR). */
	bool opt = qp->edns && st != QRY_FORMERR;
	bool nsid = opt && qp->nsid && cfg->nsid && st == QRY_OK;
	size_t optlen = opt ? OPT_FIXED + (nsid ? 4u + cfg->nsid_len : 0) : 0;
	if (optlen > limit - RW_HDR - DNAME_MAX - 4) {
		nsid = false;	/* an NSID too long to ever fit */
		optlen = OPT_FIXED;
	}

	if (st == QRY_OK && b->zknown && b->z) {
		bool hit = b->skip == 0 && is_node(b->first);
		size_t n = hit ? fast_hit(cfg, b, out, limit, opt, nsid)
			       : fast_nx(cfg, b, out, limit, opt, nsid);
		if (n) {
			oc->path = hit ? ANS_PATH_HIT : ANS_PATH_NX;
			oc->rcode = hit ? RCODE_NOERROR : RCODE_NXDOMAIN;
			return n;
		}
	}

	struct rw w;
	rw_init(&w, out, limit - optlen);
	/* Field by field: the DNAME buffers and proof lists (~800 bytes) need
	 * no clearing, and this runs for every packet. */
	struct eng e;
	e.cfg = cfg;
	e.q = qp;
	e.w = &w;
	e.z = NULL;
	e.dnssec = e.aa = e.tc = false;
	e.first = b->first;
	e.skip = b->skip;
	e.kname = b->tname;
	e.knode = b->tn;
	e.nknown = b->nt;
	e.rcode = 0;
	e.ede = -1;
	e.naddl = e.nwild = e.nproof = 0;
	if (qp->has_q)
		rw_question_q(&w, qp->qname, qp->qname_len, qp->qlo, qp->qlabels, qp->qtype,
			      qp->qclass);
	struct rw_mark after_q;
	rw_mark(&w, &after_q);

	switch (st) {
	case QRY_FORMERR: e.rcode = RCODE_FORMERR; break;
	case QRY_NOTIMP: e.rcode = RCODE_NOTIMP; break;
	case QRY_BADVERS: e.rcode = RCODE_BADVERS; break;
	default: dispatch(&e, root, req->tcp, b->zknown, b->z); break;
	}
	if (e.tc)
		rw_rollback(&w, &after_q);	/* as Knot: no records with TC=1 */

	size_t len = rw_finish(&w, qp->has_q ? 1 : 0);
	put16(out, qp->id);
	out[2] = (uint8_t)(0x80 | (qp->opcode & 0x0f) << 3 | (e.aa ? 0x04 : 0) |
			   (e.tc ? 0x02 : 0) | (qp->rd ? 0x01 : 0));
	/* RFC 4035 §3.1.6 / §3: CD copied; RA and AD stay 0. */
	out[3] = (uint8_t)((qp->cd ? 0x10 : 0) | (e.rcode & 0x0f));
	if (opt) {
		len += put_opt(cfg, qp, e.rcode, e.ede, out + len, limit - len, nsid);
		put16(out + 10, (uint16_t)(w.cnt[RW_AR] + 1));
	}
	oc->path = ANS_PATH_FULL;
	oc->rcode = (uint16_t)e.rcode;
	oc->tc = e.tc;
	return len;
}

static inline void prefetch2(const void *p, size_t len)
{
	/* both lines when the object straddles one boundary */
	__builtin_prefetch(p);
	__builtin_prefetch((const uint8_t *)p + len - 1);
}

/* Prefetches the home bucket of hash hv. */
static inline void prefetch_bucket(const struct bq *b, uint32_t hv)
{
	__builtin_prefetch(&buckets(b)[hv & b->h->hash_mask]);
}

/* The candidate block for hash hv in the bucket run starting at its home
 * slot (an empty slot first: absent, SNAP_NONE), prefetched: its head,
 * name and RRset entries, and the records after them up to 256 bytes. */
static uint32_t scan(const struct bq *b, uint32_t hv)
{
	const uint64_t *bk = buckets(b);
	uint32_t mask = b->h->hash_mask;
	for (uint32_t k = hv & mask;; k = (k + 1) & mask) {
		uint64_t ent = bk[k];
		if (ent == 0)
			return SNAP_NONE;
		if ((uint32_t)(ent >> 32) == hv) {
			uint32_t off = (uint32_t)ent & ~3u;
			const uint8_t *p = b->base + off;
			/* the lines the bucket says the block's start touches */
			__builtin_prefetch(p);
			if (ent & 3) {
				p = (const uint8_t *)((uintptr_t)p & ~(uintptr_t)63);
				for (unsigned l = 1; l <= (ent & 3); l++)
					__builtin_prefetch(p + 64 * l);
			}
			return off;
		}
	}
}

/* The offset in the query name of the suffix being probed (qlo[] is only
 * set for existing labels: none for the root name). */
static inline size_t probed_at(const struct bq *b)
{
	return b->skip ? b->q.qlo[b->skip] : 0;
}

static inline const uint8_t *probed(const struct bq *b)
{
	return b->q.qname + probed_at(b);
}

/*
 * The burst pipeline.  Answering one query is a chain of dependent reads
 * into a snapshot far larger than the caches: bucket -> block (the node's
 * name, RRset entries and records together) -> records beyond its first
 * lines, then the same again for each name whose addresses go in the
 * additional section; each is a likely cache (and TLB) miss.  Done one
 * query at a time, the misses are paid in series.  Here each stage runs
 * over the whole burst, issuing the next level's prefetch for every query
 * before any query reads it, so the misses of up to ANS_BURST_MAX queries
 * overlap.  Stage 5 then answers each query with the same code as
 * ans_respond, the owner lookup's result handed over.  The pipeline only
 * warms the cache and skips repeated probes, it never decides: every path
 * (misses, CNAME, DNAME, referrals, DNSSEC) stays the single-query code.
 */
static void burst(const struct zidx *root, const struct ans_cfg *cfg,
		  const struct ans_req *reqs, size_t n, uint8_t *const *outs,
		  const size_t *outcaps, size_t *lens, struct ans_outcome *ocs)
{
	struct bq b[ANS_BURST_MAX];

	/* 0: the packets (fresh from the NIC, not in this core's cache) and
	 * the response buffers' first line */
	for (size_t i = 0; i < n; i++) {
		__builtin_prefetch(reqs[i].q);
		if (reqs[i].qlen > 64)
			__builtin_prefetch(reqs[i].q + 64);
		__builtin_prefetch(outs[i], 1);
	}
	/* 1: parse, hashing the query name as it is unpacked */
	for (size_t i = 0; i < n; i++) {
		b[i].st = qry_parse(reqs[i].q, reqs[i].qlen, &b[i].q);
		b[i].zknown = false;
		b[i].z = NULL;
		b[i].skip = 0;
		b[i].blk = SNAP_NONE;
		b[i].first = SNAP_UNPROBED;
		b[i].nt = 0;
		b[i].rs = NULL;
		b[i].fast = FAST_NO;
	}
	/* 2: the zone, and the owner's home bucket */
	const struct snap *lz = NULL;
	const uint8_t *lbase = NULL;
	const struct snap_header *lh = NULL;
	for (size_t i = 0; i < n; i++) {
		if (b[i].st != QRY_OK || outcaps[i] < 512 || !wants_zone(&b[i].q))
			continue;
		const struct snap *z = find_zone(root, &b[i].q);
		b[i].zknown = true;
		b[i].z = z;
		if (z) {
			if (z != lz) {
				lz = z;
				lbase = snap_base(z);
				lh = snap_hdr(z);
			}
			b[i].base = lbase;
			b[i].h = lh;
			b[i].hv = (uint32_t)b[i].q.qhash;
			prefetch_bucket(&b[i], b[i].hv);
		}
	}
	/* 3: the bucket run gives the candidate block.  When the name is
	 * absent and its parent is not the apex (a name below a delegation,
	 * a random subdomain of a subdomain), the parent's bucket next. */
	for (size_t i = 0; i < n; i++) {
		if (!b[i].z)
			continue;
		b[i].blk = scan(&b[i], b[i].hv);
		if (b[i].blk != SNAP_NONE) {
			b[i].first = SNAP_UNPROBED;	/* set from the block in stage 4 */
		} else if (b[i].q.qlabels > b[i].h->origin_labels + 1u) {
			b[i].skip = 1;
			b[i].hv = (uint32_t)dname_hash_bytes(probed(&b[i]),
							     b[i].q.qname_len - probed_at(&b[i]));
			prefetch_bucket(&b[i], b[i].hv);
		} else {
			b[i].first = SNAP_NONE;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (b[i].skip) {
			b[i].blk = scan(&b[i], b[i].hv);
			if (b[i].blk == SNAP_NONE)
				b[i].first = SNAP_NONE;
		}
	/* 4: the block: its node, flags and RRsets.  The records asked for
	 * when beyond the block's first lines, or the pre-encoded answer;
	 * for NS at a cut (referral) or an NS/MX/SRV RRset without one, the
	 * names whose addresses go in the additional section: their hashes,
	 * their home buckets prefetched.  Where the general path will answer,
	 * its node entry too. */
	for (size_t i = 0; i < n; i++) {
		uint32_t blk = b[i].blk;
		if (blk == SNAP_NONE)
			continue;
		const struct snap_block *bh = block(&b[i], blk);
		b[i].first = bh->node;
		b[i].flags = bh->flags;
		bool cut = (bh->flags & SNAP_N_CUT) != 0;
		uint16_t t = cut ? RR_NS : b[i].q.qtype;
		const struct snap_rrset *rs = snap_rrset_in(block_rrsets(&b[i], blk), bh->nrrsets, t);
		if (!cut)
			b[i].rs = rs;
		bool dnssec = b[i].q.do_bit && (b[i].h->flags & SNAP_F_SIGNED);
		bool fast = rs && rs->count && !b[i].skip && b[i].q.qclass == RR_CLASS_IN &&
			    !(bh->flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_NSEC3));
		if (fast)
			b[i].fast = plain_rdata(t) ? FAST_PLAIN
				    : rs->resp && !dnssec ? FAST_RESP : FAST_NO;
		fast = b[i].fast != FAST_NO;
		if (!fast)
			__builtin_prefetch(nodes_of(&b[i]) + bh->node);
		if (!rs)
			continue;
		int skip = rrtype_addl_at(t);
		if (fast || skip < 0) {
			prefetch2(b[i].base + rs->rdata, rs->rdata_len + rs->resp);
			continue;
		}
		const uint8_t *rd = b[i].base + rs->rdata;
		const uint8_t *origin = b[i].base + b[i].h->origin;
		for (uint16_t k = 0; k < rs->count && b[i].nt < BQ_TARGETS; k++) {
			uint16_t len = (uint16_t)(rd[0] << 8 | rd[1]);
			const uint8_t *tn = rd + 2 + skip;
			rd += 2 + len;
			if (!dname_in(tn, origin))
				continue;
			uint32_t hv = (uint32_t)dname_hash(tn);
			b[i].tname[b[i].nt] = tn;
			b[i].th[b[i].nt++] = hv;
			prefetch_bucket(&b[i], hv);
		}
	}
	/* 4c: the targets' blocks */
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < b[i].nt; k++)
			b[i].tn[k] = scan(&b[i], b[i].th[k]);
	/* 5: answer; a candidate whose name differs (a 32-bit hash collision)
	 * is handed over as not probed, for a full probe; the targets'
	 * candidates become node indices */
	for (size_t i = 0; i < n; i++) {
		if (b[i].blk != SNAP_NONE) {
			const uint8_t *nm = probed(&b[i]);
			size_t len = b[i].q.qname_len - probed_at(&b[i]);
			if (!snap_name_is(block_name(&b[i], b[i].blk),
					  block(&b[i], b[i].blk)->name_len, nm, len))
				b[i].first = SNAP_UNPROBED;
		}
		for (unsigned k = 0; k < b[i].nt; k++)
			if (b[i].tn[k] != SNAP_NONE)
				b[i].tn[k] = block(&b[i], b[i].tn[k])->node;
		lens[i] = respond(root, cfg, &reqs[i], &b[i], outs[i], outcaps[i], &ocs[i]);
	}
}

void ans_respond_burst(const struct zidx *root, const struct ans_cfg *cfg,
		       const struct ans_req *reqs, size_t n, uint8_t *const *outs,
		       const size_t *outcaps, size_t *lens, struct ans_outcome *ocs)
{
	while (n > 0) {
		size_t k = n < ANS_BURST_MAX ? n : ANS_BURST_MAX;
		burst(root, cfg, reqs, k, outs, outcaps, lens, ocs);
		reqs += k;
		outs += k;
		outcaps += k;
		lens += k;
		ocs += k;
		n -= k;
	}
}

size_t ans_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, uint8_t *out, size_t outcap,
		   struct ans_outcome *oc)
{
	struct ans_outcome unused;
	/* No prefetch stages for one query: nothing to overlap with. */
	struct bq b;
	b.st = qry_parse(req->q, req->qlen, &b.q);
	b.zknown = false;
	b.z = NULL;
	b.skip = 0;
	b.blk = SNAP_NONE;
	b.first = SNAP_UNPROBED;
	b.nt = 0;
	b.rs = NULL;
	b.fast = FAST_NO;
	return respond(root, cfg, req, &b, out, outcap, oc ? oc : &unused);
}
