/*
 * frag.c - making and checking anchored fragments (frag.h): the records
 * are written by the response writer itself (zones/rwrite.c) after a
 * question naming the anchor, then scanned for their compression pointers
 * and for the labels that would let a longer question name change them.
 */
#include "zones/frag.h"

#include <string.h>

#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/snap_format.h"

bool frag_begin(struct frag_b *b, const uint8_t *anchor, const uint8_t *apex)
{
	if (!dname_in(anchor, apex))
		return false;
	rw_init(&b->w, b->msg, sizeof b->msg);
	if (!rw_question(&b->w, anchor, dname_len(anchor), RR_NS, RR_CLASS_IN))
		return false;
	b->ct0 = b->w.nct;
	b->parts = b->w.pos;
	b->auth_end = 0;
	b->anchor = anchor;
	b->apex = apex;
	return true;
}

void frag_targets(const struct frag_b *b, struct frag_ct *ct)
{
	ct->n = 0;
	for (unsigned i = b->ct0; i < b->w.nct; i++, ct->n++) {
		ct->off[ct->n] = b->w.ct_off[i];
		ct->lab[ct->n] = b->w.ct_lab[i];
	}
}

void frag_addl(struct frag_b *b)
{
	b->auth_end = b->w.pos;
}

/* What the scan of the parts collects. */
struct scan {
	uint16_t ptr[255];
	unsigned nptr;
	uint8_t below[255];
	unsigned nbelow;
	bool hashlike;
	bool bad;
};

/* Adds the label of name right above the anchor (lowercased) to the
 * below list, once. */
static void note_below(struct scan *s, const uint8_t *label)
{
	uint8_t lc[64];
	lc[0] = label[0];
	for (unsigned k = 1; k <= label[0]; k++)
		lc[k] = dname_lc(label[k]);
	for (unsigned o = 0; o < s->nbelow; o += s->below[o] + 1u)
		if (!memcmp(s->below + o, lc, lc[0] + 1u))
			return;
	if (s->nbelow + lc[0] + 1u > sizeof s->below) {
		s->bad = true;
		return;
	}
	memcpy(s->below + s->nbelow, lc, lc[0] + 1u);
	s->nbelow += lc[0] + 1u;
}

/* One name of the parts at msg[*at]: its pointer noted, the name's facts
 * noted; *at moves past it.  The name is walked through its pointers: as
 * rwrite points every suffix equal to the anchor (or to the apex) at the
 * question's, which comes first in its table, a name is below the anchor
 * exactly when the walk comes to the question's start after a label, and
 * below the apex when it comes to the apex in the question. */
static void scan_name(const struct frag_b *b, struct scan *s, size_t *at)
{
	const uint8_t *m = b->msg;
	size_t p = *at;
	while (m[p] && (m[p] & 0xc0) != 0xc0)
		p += m[p] + 1u;
	if (m[p]) {
		if (s->nptr == 255)
			s->bad = true;
		else
			s->ptr[s->nptr++] = (uint16_t)(p - b->parts);
	}
	size_t start = *at;
	*at = p + (m[p] ? 2 : 1);
	size_t apos = RW_HDR + dname_len(b->anchor) - dname_len(b->apex);
	const uint8_t *prev = NULL;	/* the label walked last */
	for (p = start;;) {
		if ((m[p] & 0xc0) == 0xc0) {
			p = (size_t)(m[p] & 0x3f) << 8 | m[p + 1];
			continue;
		}
		if (prev && p == RW_HDR)
			note_below(s, prev);
		if (prev && p == apos && prev[0] == 32)
			s->hashlike = true;
		if (m[p] == 0)
			return;
		prev = m + p;
		p += m[p] + 1u;
	}
}

/* The records of the parts: owners and the names in the RDATA of the
 * types rwrite compresses (rw_compressed_type). */
static void scan_parts(const struct frag_b *b, struct scan *s)
{
	size_t at = b->parts;
	unsigned n = b->w.cnt[RW_AN] + b->w.cnt[RW_NS] + b->w.cnt[RW_AR];
	for (unsigned r = 0; r < n && !s->bad; r++) {
		scan_name(b, s, &at);
		uint16_t type = (uint16_t)(b->msg[at] << 8 | b->msg[at + 1]);
		uint16_t rdlen = (uint16_t)(b->msg[at + 8] << 8 | b->msg[at + 9]);
		at += 10;
		size_t end = at + rdlen;
		switch (type) {
		case RR_NS: case RR_MD: case RR_MF: case RR_CNAME: case RR_MB:
		case RR_MG: case RR_MR: case RR_PTR:
			scan_name(b, s, &at);
			break;
		case RR_MX:
			at += 2;
			scan_name(b, s, &at);
			break;
		case RR_MINFO: case RR_SOA:
			scan_name(b, s, &at);
			scan_name(b, s, &at);
			break;
		default:
			break;
		}
		at = end;
	}
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)v);
	put_u16(p + 2, (uint16_t)(v >> 16));
}

size_t frag_finish(struct frag_b *b, uint8_t flags, const uint32_t n3[2], uint8_t *out,
		   size_t cap)
{
	if (!b->auth_end)
		b->auth_end = b->w.pos;
	/* a table that filled up here would hold fewer entries than a
	 * longer question leaves room for */
	if (b->w.nct >= RW_CT_MAX)
		return 0;
	struct scan s;
	s.nptr = s.nbelow = 0;
	s.hashlike = s.bad = false;
	scan_parts(b, &s);
	if (s.bad)
		return 0;
	size_t auth = b->auth_end - b->parts, addl = b->w.pos - b->auth_end;
	size_t size = FRAG_HEAD + 2u * s.nptr + s.nbelow + auth + addl;
	if (size > cap || size > UINT16_MAX)
		return 0;
	put_u16(out, (uint16_t)(b->w.cnt[RW_AN] + b->w.cnt[RW_NS]));
	put_u16(out + 2, b->w.cnt[RW_AR]);
	put_u16(out + 4, (uint16_t)auth);
	put_u16(out + 6, (uint16_t)addl);
	out[8] = (uint8_t)s.nptr;
	out[9] = (uint8_t)(b->w.nct - b->ct0);
	out[10] = (uint8_t)(flags | (s.hashlike ? FRAG_F_HASHLIKE : 0));
	out[11] = (uint8_t)s.nbelow;
	put_u32(out + 12, n3 ? n3[0] : SNAP_NONE);
	put_u32(out + 16, n3 ? n3[1] : SNAP_NONE);
	uint8_t *p = out + FRAG_HEAD;
	for (unsigned k = 0; k < s.nptr; k++, p += 2)
		put_u16(p, s.ptr[k]);
	memcpy(p, s.below, s.nbelow);
	memcpy(p + s.nbelow, b->msg + b->parts, auth + addl);
	return size;
}

const char *frag_check(const uint8_t *p, size_t len)
{
	if (len < FRAG_HEAD || frag_parts_at(p) > len)
		return "fragment header out of bounds";
	if (frag_size(p) != len)
		return "fragment length inconsistent";
	size_t parts = (size_t)frag_u16(p, 4) + frag_u16(p, 6);
	for (unsigned k = 0; k < p[8]; k++)
		if ((size_t)frag_u16(p, FRAG_HEAD + 2u * k) + 2 > parts)
			return "fragment pointer out of bounds";
	const uint8_t *bl = p + frag_below_at(p);
	for (size_t o = 0; o < p[11]; o += bl[o] + 1u)
		if (bl[o] == 0 || bl[o] > 63 || o + 1u + bl[o] > p[11])
			return "fragment label list malformed";
	return NULL;
}
