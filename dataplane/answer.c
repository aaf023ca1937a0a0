/*
 * answer.c - ans_respond: parse the query, pick the zone, select the
 * records (RFC 1034 §4.3.2: exact match, CNAME chains, DNAME, referrals,
 * wildcards, NXDOMAIN/NODATA) and write them with the header and OPT.
 * DNSSEC denial lives in dnssec.c, CHAOS in chaos.c.
 */
#include "answer.h"

#include <string.h>

#include "dname.h"
#include "engine.h"
#include "rrtype.h"

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
		ok = rw_rrset(e->w, sect, owner, RR_RRSIG, RR_CLASS_IN, sttl, e->base + rs->sigs,
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
	/* Names whose addresses go in the additional section (RFC 1035 §3.3.9,
	 * §3.3.11, RFC 2782). */
	size_t skip;
	switch (rs->type) {
	case RR_NS: skip = 0; break;
	case RR_MX: skip = 2; break;
	case RR_SRV: skip = 6; break;
	default: return true;
	}
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
	e->rrsets = snap_rrsets(z);
	e->dnssec = e->q->do_bit && (e->h->flags & SNAP_F_SIGNED);
}

static const uint8_t *origin(const struct eng *e)
{
	return e->base + e->h->origin;
}

/* RFC 2308 §3: the SOA in the authority section of a negative answer, its
 * TTL (and its RRSIG's) lowered to the negative TTL. */
static void put_soa(struct eng *e)
{
	eng_put(e, RW_NS, origin(e), &e->rrsets[e->h->soa], e->h->neg_ttl);
}

static void nodata(struct eng *e, const uint8_t *name, uint32_t node, uint32_t wild)
{
	put_soa(e);
	if (!e->dnssec)
		return;
	if (wild == SNAP_NONE)
		dsec_nodata(e, name, node);
	else
		dsec_wildcard_nodata(e, name, wild);
}

static void nxdomain(struct eng *e, const uint8_t *name, uint32_t ce)
{
	/* RFC 6604 §2.1: after a CNAME chain the RCODE is the last name's. */
	e->rcode = RCODE_NXDOMAIN;
	put_soa(e);
	if (e->dnssec)
		dsec_nxdomain(e, name, ce);
}

/* RFC 1034 §4.3.2 step 3b: a referral to the cut. */
static void referral(struct eng *e, uint32_t cut, bool first)
{
	const struct snap_node *n = &e->nodes[cut];
	if (first)
		e->aa = false;
	const struct snap_rrset *ns = snap_rrset_of(e->z, n, RR_NS);
	if (ns)
		eng_put(e, RW_NS, eng_name(e, cut), ns, UINT32_MAX);
	if (!e->dnssec)
		return;
	/* RFC 4035 §3.1.4: the DS RRset and its RRSIG, or a proof of none. */
	const struct snap_rrset *ds = snap_rrset_of(e->z, n, RR_DS);
	if (ds)
		eng_put(e, RW_NS, eng_name(e, cut), ds, UINT32_MAX);
	else
		dsec_nods(e, cut);
}

/* An NSEC3 owner (hashed name) is not a name of the zone's tree (RFC 5155
 * §7.2.8 treats queries for it like any other non-existent name). */
static bool hashed_owner(const struct eng *e, uint32_t node)
{
	return (e->nodes[node].flags & SNAP_N_NSEC3) != 0;
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

/*
 * Answers at node (the name itself, or the wildcard that matched it: wild
 * == node then).  Returns the CNAME target to follow, or NULL when the
 * answer is complete.
 */
static const uint8_t *at_node(struct eng *e, const uint8_t *name, const uint8_t *owner,
			      uint32_t node, bool wild)
{
	const struct snap_node *n = &e->nodes[node];
	const struct snap_rrset *rs = e->rrsets + n->rrset;
	const struct snap_rrset *end = rs + n->nrrsets;
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
					      e->base + rs->sigs, rs->nsigs))
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
		if (n->flags & SNAP_N_CNAME) {
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
		bool found = snap_find(e->z, name, &ni);
		if (hashed_owner(e, ni)) {
			found = false;
			ni = e->nodes[ni].parent;
		}
		const struct snap_node *n = &e->nodes[ni];

		if (n->flags & (SNAP_N_CUT | SNAP_N_OCCLUDED)) {
			/* RFC 4035 §3.1.4.1: DS at a cut is the parent's data. */
			bool ds_here = found && !(n->flags & SNAP_N_OCCLUDED) &&
				       e->q->qtype == RR_DS;
			if (!ds_here) {
				referral(e, n->cut != SNAP_NONE ? n->cut : ni, hop == 0);
				return;
			}
		}

		uint32_t src = ni;	/* node whose data answers */
		bool wild = false;
		if (!found) {
			if (n->flags & SNAP_N_DNAME) {
				/* RFC 6672 §2.2, §3.1: DNAME, then a CNAME synthesized
				 * with the DNAME's TTL. */
				const struct snap_rrset *dn = snap_rrset_of(e->z, n, RR_DNAME);
				if (!dn || !dn->count) {
					nxdomain(e, name, ni);
					return;
				}
				eng_put(e, RW_AN, eng_name(e, ni), dn, UINT32_MAX);
				const uint8_t *target = e->base + dn->rdata + 2;
				size_t plen = prefix_len(name, dname_labels(name) - n->labels);
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
			if (!(n->flags & SNAP_N_WILD_CHILD)) {
				nxdomain(e, name, ni);
				return;
			}
			/* RFC 4592 §3.3.1: the source of synthesis "*.<ce>". */
			uint8_t star[DNAME_MAX + 2] = { 1, '*' };
			const uint8_t *ce = eng_name(e, ni);
			memcpy(star + 2, ce, dname_len(ce));
			if (!snap_find(e->z, star, &src)) {
				nxdomain(e, name, ni);
				return;
			}
			wild = true;
		} else if (!n->nrrsets) {
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

/* RFC 1034 §4.3.2 step 6: addresses of NS/MX/SRV targets inside the zone
 * (glue included), each name once. */
static void additional(struct eng *e)
{
	uint32_t done[ENG_ADDL_MAX];
	unsigned ndone = 0;
	for (unsigned i = 0; i < e->naddl; i++) {
		const uint8_t *t = e->addl[i];
		uint32_t ni;
		if (!dname_in(t, origin(e)) || !snap_find(e->z, t, &ni) || hashed_owner(e, ni))
			continue;
		bool dup = false;
		for (unsigned j = 0; j < ndone; j++)
			dup = dup || done[j] == ni;
		if (dup)
			continue;
		done[ndone++] = ni;
		const struct snap_node *n = &e->nodes[ni];
		const struct snap_rrset *a = snap_rrset_of(e->z, n, RR_A);
		const struct snap_rrset *aaaa = snap_rrset_of(e->z, n, RR_AAAA);
		if (a && !eng_put(e, RW_AR, eng_name(e, ni), a, UINT32_MAX))
			return;
		if (aaaa && !eng_put(e, RW_AR, eng_name(e, ni), aaaa, UINT32_MAX))
			return;
	}
}

static void dispatch(struct eng *e, const struct zidx *root, bool tcp)
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
	const struct snap *z = zidx_find(root, q->qname);
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
static size_t put_opt(const struct eng *e, uint8_t *p, size_t room, bool nsid)
{
	const struct ans_cfg *cfg = e->cfg;
	uint16_t max_udp = cfg->max_udp ? cfg->max_udp : DEFAULT_MAX_UDP;
	size_t n = OPT_FIXED;
	p[0] = 0;
	put16(p + 1, RR_OPT);
	put16(p + 3, max_udp < 512 ? 512 : max_udp);
	p[5] = (uint8_t)(e->rcode >> 4);
	p[6] = 0;
	p[7] = e->q->do_bit ? 0x80 : 0;
	p[8] = 0;
	if (nsid) {
		put16(p + n, EDNS_OPT_NSID);
		put16(p + n + 2, cfg->nsid_len);
		memcpy(p + n + 4, cfg->nsid, cfg->nsid_len);
		n += 4u + cfg->nsid_len;
	}
	if (e->ede >= 0 && room >= n + 6) {
		put16(p + n, EDNS_OPT_EDE);
		put16(p + n + 2, 2);
		put16(p + n + 4, (uint16_t)e->ede);
		n += 6;
	}
	put16(p + 9, (uint16_t)(n - OPT_FIXED));
	return n;
}

size_t ans_respond(const struct zidx *root, const struct ans_cfg *cfg,
		   const struct ans_req *req, uint8_t *out, size_t outcap)
{
	struct qry q;
	enum qry_status st = qry_parse(req->q, req->qlen, &q);
	if (st == QRY_DROP || outcap < 512)
		return 0;

	/* RFC 1035 §4.2.1, RFC 6891 §6.2.3-6.2.5: the response size limit. */
	size_t limit;
	if (req->tcp) {
		limit = 65535;
	} else if (q.edns) {
		uint16_t max_udp = cfg->max_udp ? cfg->max_udp : DEFAULT_MAX_UDP;
		limit = q.payload < max_udp ? q.payload : max_udp;
		if (limit < 512)
			limit = 512;
	} else {
		limit = 512;
	}
	if (limit > outcap)
		limit = outcap;
	/* A malformed query gets no OPT: what it carried cannot be trusted
	 * (Knot does the same; RFC 6891 §7 asks only for FORMERR). */
	bool opt = q.edns && st != QRY_FORMERR;
	bool nsid = opt && q.nsid && cfg->nsid && st == QRY_OK;
	size_t optlen = opt ? OPT_FIXED + (nsid ? 4u + cfg->nsid_len : 0) : 0;
	if (optlen > limit - RW_HDR - DNAME_MAX - 4) {
		nsid = false;	/* an NSID too long to ever fit */
		optlen = OPT_FIXED;
	}

	struct rw w;
	rw_init(&w, out, limit - optlen);
	/* Field by field: the DNAME buffers and proof lists (~800 bytes) need
	 * no clearing, and this runs for every packet. */
	struct eng e;
	e.cfg = cfg;
	e.q = &q;
	e.w = &w;
	e.z = NULL;
	e.dnssec = e.aa = e.tc = false;
	e.rcode = 0;
	e.ede = -1;
	e.naddl = e.nwild = e.nproof = 0;
	if (q.has_q)
		rw_question(&w, q.qname, q.qname_len, q.qtype, q.qclass);
	struct rw_mark after_q;
	rw_mark(&w, &after_q);

	switch (st) {
	case QRY_FORMERR: e.rcode = RCODE_FORMERR; break;
	case QRY_NOTIMP: e.rcode = RCODE_NOTIMP; break;
	case QRY_BADVERS: e.rcode = RCODE_BADVERS; break;
	default: dispatch(&e, root, req->tcp); break;
	}
	if (e.tc)
		rw_rollback(&w, &after_q);	/* as Knot: no records with TC=1 */

	size_t len = rw_finish(&w, q.has_q ? 1 : 0);
	put16(out, q.id);
	out[2] = (uint8_t)(0x80 | (q.opcode & 0x0f) << 3 | (e.aa ? 0x04 : 0) |
			   (e.tc ? 0x02 : 0) | (q.rd ? 0x01 : 0));
	/* RFC 4035 §3.1.6 / §3: CD copied; RA and AD stay 0. */
	out[3] = (uint8_t)((q.cd ? 0x10 : 0) | (e.rcode & 0x0f));
	if (opt) {
		len += put_opt(&e, out + len, limit - len, nsid);
		put16(out + 10, (uint16_t)(w.cnt[RW_AR] + 1));
	}
	return len;
}
