/*
 * rwrite.c - the response writer: name compression with a fixed table of
 * earlier name suffixes, RR encoding, all-or-nothing RRsets.  No
 * allocation; the table is a few cache lines on the caller's stack.
 */
#include "zones/rwrite.h"

#include <string.h>

#include "zones/dname.h"
#include "zones/rrtype.h"

#define PTR_MAX 0x3fff

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void ct_add(struct rw *w, size_t off, unsigned labels)
{
	rw_target(w, off, labels);
}

/* True when the uncompressed name a equals the name at buf[off] (which we
 * wrote, pointers included), case-insensitively.  Both have the same label
 * count, so comparing label by label to the root is enough. */
static bool eq_at(const uint8_t *buf, size_t off, const uint8_t *a)
{
	const uint8_t *b = buf + off;
	for (;;) {
		while ((b[0] & 0xc0) == 0xc0)
			b = buf + (((size_t)(b[0] & 0x3f) << 8) | b[1]);
		if (!dname_label_eq(a, b))
			return false;
		if (*a == 0)
			return true;
		uint8_t l = a[0];
		a += l + 1;
		b += l + 1;
	}
}

bool rw_name(struct rw *w, const uint8_t *name)
{
	/* label offsets inside name, and the label count */
	uint8_t lo[DNAME_LABELS_MAX];
	unsigned nl = 0;
	for (size_t o = 0; name[o]; o += name[o] + 1u)
		lo[nl++] = (uint8_t)o;

	/* The longest suffix already in the message: try suffixes from the
	 * whole name down, against targets with the same label count. */
	unsigned k = nl;
	uint16_t ptr = 0;
	for (unsigned i = 0; i < nl && k == nl; i++) {
		unsigned want = nl - i;
		for (unsigned e = 0; e < w->nct; e++)
			if (w->ct_lab[e] == want && eq_at(w->buf, w->ct_off[e], name + lo[i])) {
				k = i;
				ptr = w->ct_off[e];
				break;
			}
	}
	size_t lit = k < nl ? lo[k] : dname_len(name);
	size_t need = lit + (k < nl ? 2 : 0);
	if (w->limit - w->pos < need)
		return false;
	uint8_t *p = w->buf + w->pos;
	memcpy(p, name, lit);
	for (unsigned i = 0; i < k; i++)
		ct_add(w, w->pos + lo[i], nl - i);
	if (k < nl)
		put16(p + lit, (uint16_t)(0xc000 | ptr));
	w->pos += need;
	return true;
}

bool rw_question(struct rw *w, const uint8_t *qname, size_t qlen, uint16_t qtype,
		 uint16_t qclass)
{
	if (w->limit - w->pos < qlen + 4)
		return false;
	uint8_t *p = w->buf + w->pos;
	memcpy(p, qname, qlen);
	unsigned nl = dname_labels(qname);
	for (size_t o = 0; qname[o]; o += qname[o] + 1u)
		ct_add(w, w->pos + o, nl--);
	put16(p + qlen, qtype);
	put16(p + qlen + 2, qclass);
	w->pos += qlen + 4;
	return true;
}

bool rw_question_q(struct rw *w, const uint8_t *qname, size_t qlen, const uint8_t *lo,
		   unsigned labels, uint16_t qtype, uint16_t qclass)
{
	if (w->limit - w->pos < qlen + 4)
		return false;
	uint8_t *p = w->buf + w->pos;
	/* a response written over its own query finds the name in place
	 * (copying an object onto itself is undefined) */
	if (p != qname)
		memcpy(p, qname, qlen);
	for (unsigned i = 0; i < labels; i++)
		ct_add(w, w->pos + lo[i], labels - i);
	put16(p + qlen, qtype);
	put16(p + qlen + 2, qclass);
	w->pos += qlen + 4;
	return true;
}

/* Copies a name from rdata bytes with compression (compressible types),
 * advancing *rd. */
static bool rd_name(struct rw *w, const uint8_t **rd)
{
	size_t l = dname_len(*rd);
	bool ok = rw_name(w, *rd);
	*rd += l;
	return ok;
}

static bool raw(struct rw *w, const uint8_t *p, size_t n)
{
	if (w->limit - w->pos < n)
		return false;
	memcpy(w->buf + w->pos, p, n);
	w->pos += n;
	return true;
}

/* The RDATA of one record; names compressed only for the types RFC 3597
 * §4 allows (the well-known types of RFC 1035: rw_compressed_type). */
static bool rdata(struct rw *w, uint16_t type, const uint8_t *rd, uint16_t len)
{
	const uint8_t *end = rd + len;
	switch (type) {
	case RR_NS: case RR_MD: case RR_MF: case RR_CNAME: case RR_MB:
	case RR_MG: case RR_MR: case RR_PTR:
		return rd_name(w, &rd);
	case RR_MX:
		return raw(w, rd, 2) && (rd += 2, rd_name(w, &rd));
	case RR_MINFO:
		return rd_name(w, &rd) && rd_name(w, &rd);
	case RR_SOA:
		return rd_name(w, &rd) && rd_name(w, &rd) && raw(w, rd, (size_t)(end - rd));
	default:
		return raw(w, rd, len);
	}
}

/* One record; the owner is written at w->pos, or is `own` (a 2-byte
 * pointer already chosen) when own_ok. */
static bool one_rr(struct rw *w, const uint8_t *owner, uint8_t own[2], bool *own_ok,
		   uint16_t type, uint16_t cls, uint32_t ttl, const uint8_t *rd, uint16_t len)
{
	if (*own_ok) {
		if (!raw(w, own, 2))
			return false;
	} else {
		size_t at = w->pos;
		if (owner == NULL) {
			uint8_t q[2] = { 0xc0, RW_HDR };
			if (!raw(w, q, 2))
				return false;
			memcpy(own, q, 2);
		} else {
			if (!rw_name(w, owner))
				return false;
			if (w->pos - at == 2 && (w->buf[at] & 0xc0) == 0xc0)
				memcpy(own, w->buf + at, 2);
			else
				put16(own, (uint16_t)(0xc000 | at));
		}
		*own_ok = at <= PTR_MAX;
	}
	if (w->limit - w->pos < 10)
		return false;
	uint8_t *h = w->buf + w->pos;
	put16(h, type);
	put16(h + 2, cls);
	put32(h + 4, ttl);
	w->pos += 10;
	size_t start = w->pos;
	if (!rdata(w, type, rd, len))
		return false;
	put16(h + 8, (uint16_t)(w->pos - start));
	return true;
}

/* Writes count records of one RRset, all or none.  rdlen < 0: the rdata
 * are snapshot entries (2-byte RDLENGTH + RDATA each); else one record of
 * rdlen bytes. */
static bool put_rrs(struct rw *w, int sect, const uint8_t *owner, uint16_t type,
		    uint16_t cls, uint32_t ttl, const uint8_t *rd, uint16_t count, int rdlen)
{
	struct rw_mark m;
	rw_mark(w, &m);
	uint8_t own[2];
	bool own_ok = false;
	for (uint16_t i = 0; i < count; i++) {
		uint16_t len = rdlen >= 0 ? (uint16_t)rdlen : (uint16_t)(rd[0] << 8 | rd[1]);
		const uint8_t *p = rdlen >= 0 ? rd : rd + 2;
		if (!one_rr(w, owner, own, &own_ok, type, cls, ttl, p, len)) {
			rw_rollback(w, &m);
			return false;
		}
		rd = p + len;
	}
	w->cnt[sect] += count;
	return true;
}

bool rw_rrset(struct rw *w, int sect, const uint8_t *owner, uint16_t type, uint16_t cls,
	      uint32_t ttl, const uint8_t *rd, uint16_t count)
{
	return put_rrs(w, sect, owner, type, cls, ttl, rd, count, -1);
}

bool rw_rr(struct rw *w, int sect, const uint8_t *owner, uint16_t type, uint16_t cls,
	   uint32_t ttl, const uint8_t *rdata_, uint16_t rdlen)
{
	return put_rrs(w, sect, owner, type, cls, ttl, rdata_, 1, rdlen);
}

size_t rw_finish(struct rw *w, uint16_t qd)
{
	put16(w->buf + 4, qd);
	put16(w->buf + 6, w->cnt[RW_AN]);
	put16(w->buf + 8, w->cnt[RW_NS]);
	put16(w->buf + 10, w->cnt[RW_AR]);
	return w->pos;
}
