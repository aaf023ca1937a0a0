/*
 * fast.c - the fast paths of the answer engine: responses copied from the
 * snapshot's pre-encoded records for the two commonest outcomes, an exact
 * match and an NXDOMAIN without DNSSEC, for queries the burst pipeline
 * probed.  Each writes byte for byte what the general path (answer.c)
 * would; when one does not apply it returns 0 and the general path
 * answers.  The negative answer's SOA encoding (eng_soa_direct) is shared
 * with the general path.
 */
#include <string.h>

#include "dataplane/engine.h"

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

/* RFC 2308 §3 (engine.h): the owner is the apex, which ends the query
 * name (the question is of this zone), so a pointer to it there; MNAME
 * and RNAME as soa_name() says.  Its TTL is the negative TTL (RFC 2308
 * §5).  Not for several SOA records or a root zone. */
size_t eng_soa_direct(const struct qry *q, const struct snap_header *h, const uint8_t *base,
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
		return ENG_SOA_NO_ROOM;
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

uint8_t *eng_question(const struct qry *q, uint8_t *out)
{
	uint8_t *p = out + RW_HDR;
	if (q->qname != p)
		eng_copy(p, q->qname, q->qname_len);
	p += q->qname_len;
	eng_put16(p, q->qtype);
	eng_put16(p + 2, q->qclass);
	return p + 4;
}

/*
 * An exact match (RFC 1034 §4.3.2 step 3a), the commonest answer there
 * is.  The burst pipeline found and checked the node (the class, no cut,
 * not occluded, not an NSEC3 owner) and the RRset's kind; what remains is
 * to see that it fits, then to write the question and either the
 * pre-encoded records (plain RDATA: no names to compress, no additional
 * data; RRSIGs added with DNSSEC) or the compiler's pre-encoded answer
 * (snap_rrset.resp: NS, MX, SRV, CNAME... with their additional section,
 * without DNSSEC).  Byte for byte what the general path writes.
 */
size_t fast_hit(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *b,
		const struct eng_env *env, uint8_t *out)
{
	if (b->fast == FAST_NO)
		return 0;
	const uint8_t *base = b->base;
	const struct snap_rrset *rs = b->rs;
	bool dnssec = q->do_bit && (b->h->flags & SNAP_F_SIGNED);
	size_t need = RW_HDR + q->qname_len + 4u + env->optlen;
	struct eng_head hd = { .aa = true, .ede = -1, .qd = 1, .an = rs->count };
	uint8_t *p;
	if (b->fast == FAST_PLAIN) {
		bool sigs = dnssec && rs->nsigs;
		need += 10u * rs->count + rs->rdata_len;
		if (sigs)
			need += 10u * rs->nsigs + rs->sigs_len;
		if (need > env->limit)
			return 0;
		p = eng_question(q, out);
		p = eng_put_owned(p, RW_HDR, rs->type, rs->ttl, base + rs->rdata, rs->count);
		if (sigs) {
			p = eng_put_owned(p, RW_HDR, RR_RRSIG, rs->sig_ttl,
					  base + snap_rrset_sigs(rs), rs->nsigs);
			hd.an += rs->nsigs;
		}
	} else {
		const uint8_t *pre = base + rs->rdata + rs->rdata_len;
		size_t body = rs->resp - 2u;
		hd.ar = (uint16_t)(pre[0] | pre[1] << 8);
		bool sigs = false;
		if (hd.ar & SNAP_RESP_DO) {
			/* a second answer, with DNSSEC, after the first */
			const uint8_t *tail = pre + rs->resp - 4;
			size_t dbody = (size_t)(tail[2] | tail[3] << 8);
			body -= dbody + 4u;
			hd.ar &= (uint16_t)~SNAP_RESP_DO;
			if (dnssec) {
				pre += body;
				body = dbody;
				hd.ar = (uint16_t)(tail[0] | tail[1] << 8);
				hd.an = (uint16_t)(rs->count + rs->nsigs);
			}
		} else if (dnssec) {
			/* the RRSIGs follow the answer records: after the
			 * pre-encoded ones when nothing else does (no
			 * additional section, whose addresses would bring
			 * RRSIGs of their own) */
			if (hd.ar)
				return 0;
			sigs = rs->nsigs != 0;
		}
		need += body;
		if (sigs)
			need += 10u * rs->nsigs + rs->sigs_len;
		if (need > env->limit)
			return 0;
		p = eng_question(q, out);
		memcpy(p, pre + 2, body);
		p += body;
		if (sigs) {
			p = eng_put_owned(p, RW_HDR, RR_RRSIG, rs->sig_ttl,
					  base + snap_rrset_sigs(rs), rs->nsigs);
			hd.an += rs->nsigs;
		}
	}
	return eng_finish(cfg, q, env, &hd, out, (size_t)(p - out));
}

/*
 * NXDOMAIN (RFC 1034 §4.3.2 step 3c, RFC
 * 2308 §2.1) without DNSSEC, for a name whose closest encloser the pipeline
 * knows: the apex (the name is one label below it, or two with its parent
 * absent) or the parent it found.  Nothing else may apply there: a cut, a
 * DNAME (RFC 6672 §2.3), a wildcard child (RFC 4592 §3.3.1), an NSEC3
 * owner.  Writes the header, the question and the SOA as the general path
 * does (soa_direct); 0 when it does not apply or fit.
 */
size_t fast_nx(const struct ans_cfg *cfg, const struct qry *q, const struct eng_probe *b,
	       const struct eng_env *env, uint8_t *out)
{
	if (q->qclass != RR_CLASS_IN || (q->do_bit && (b->h->flags & SNAP_F_SIGNED)))
		return 0;
	unsigned ol = b->h->origin_labels;
	uint32_t flags;
	if (b->first == SNAP_NONE && q->qlabels == ol + 1u + b->skip)
		flags = snap_node_flags(b->base, &snap_node_tab(b->base, b->h)[0]);	/* the apex */
	else if (b->skip == 1 && eng_is_node(b->first))
		flags = b->flags;	/* the parent, its name checked in stage 5 */
	else
		return 0;
	if (flags & (SNAP_N_CUT | SNAP_N_OCCLUDED | SNAP_N_DNAME | SNAP_N_WILD_CHILD | SNAP_N_NSEC3))
		return 0;
	size_t used = RW_HDR + q->qname_len + 4u;
	if (used + env->optlen > env->limit)
		return 0;
	size_t n = eng_soa_direct(q, b->h, b->base, out + used, env->limit - env->optlen - used);
	if (n == 0 || n == ENG_SOA_NO_ROOM)
		return 0;
	uint8_t *p = eng_question(q, out) + n;
	struct eng_head hd = { .rcode = RCODE_NXDOMAIN, .ede = -1, .aa = true, .qd = 1, .ns = 1 };
	return eng_finish(cfg, q, env, &hd, out, (size_t)(p - out));
}
