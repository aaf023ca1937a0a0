/*
 * axfr.c - a zone as AXFR response messages (RFC 5936 §2.2), read from its
 * snapshot image: the apex SOA (with its RRSIGs), every other RRset of
 * every node in image order (canonical order) each followed by the RRSIGs
 * covering it, the stray signatures, then the apex SOA again.  One message
 * is built at a time in one buffer and handed to the caller's emit.
 */
#include "control/axfr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/rwrite.h"
#include "zones/snap.h"

#define AXFR_MSG_MIN 512
#define AXFR_MSG_MAX 65535

#define FL_QR 0x8000u
#define FL_AA 0x0400u
#define FL_RD 0x0100u

/* The transfer in progress: the message being built and where it goes. */
struct axb {
	struct rw w;
	uint8_t *buf;
	size_t msg_max;
	const struct axfr_query *q;
	axfr_emit_fn emit;
	void *ud;
	long nmsg;		/* messages emitted */
	char *err;
	size_t errcap;
};

static int fail(struct axb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->err, b->errcap, fmt, ap);
	va_end(ap);
	return -1;
}

/* Starts a message: the question in the first one only (RFC 5936 §2.2.2). */
static int ax_begin(struct axb *b)
{
	rw_init(&b->w, b->buf, b->msg_max);
	if (b->nmsg > 0)
		return 0;
	if (!rw_question(&b->w, b->q->qname, b->q->qname_len, b->q->qtype, b->q->qclass))
		return fail(b, "the question does not fit a %zu-byte message", b->msg_max);
	/* Not a compression target: owners at the apex keep the zone's
	 * spelling rather than pointing at the client's. */
	b->w.nct = 0;
	return 0;
}

/* Completes the header and hands the message over. */
static int ax_emit(struct axb *b)
{
	uint16_t fl = (uint16_t)(FL_QR | FL_AA | (b->q->flags & FL_RD));
	size_t len = rw_finish(&b->w, b->nmsg == 0 ? 1 : 0);
	b->buf[0] = (uint8_t)(b->q->id >> 8);
	b->buf[1] = (uint8_t)b->q->id;
	b->buf[2] = (uint8_t)(fl >> 8);
	b->buf[3] = (uint8_t)fl;
	if (b->emit(b->ud, b->buf, len) != 0)
		return fail(b, "transfer stopped by the receiver at message %ld", b->nmsg + 1);
	b->nmsg++;
	return 0;
}

/* The message is full: out with it, on with the next. */
static int ax_flush(struct axb *b)
{
	return ax_emit(b) < 0 ? -1 : ax_begin(b);
}

static int too_big(struct axb *b, const uint8_t *owner, uint16_t type)
{
	char name[DNAME_TEXT_MAX], tname[32];
	dname_to_text(name, sizeof name, owner);
	rrtype_to_text(type, tname, sizeof tname);
	return fail(b, "record %s/%s does not fit a %zu-byte message", name, tname,
		    b->msg_max);
}

/* One record into the current message, or into the next when it is full. */
static int ax_put(struct axb *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
		  const uint8_t *rdata, uint16_t rdlen)
{
	if (rw_rr(&b->w, RW_AN, owner, type, RR_CLASS_IN, ttl, rdata, rdlen))
		return 0;
	if (b->w.cnt[RW_AN] == 0)
		return too_big(b, owner, type);
	if (ax_flush(b) < 0)
		return -1;
	if (!rw_rr(&b->w, RW_AN, owner, type, RR_CLASS_IN, ttl, rdata, rdlen))
		return too_big(b, owner, type);
	return 0;
}

/* n image record entries at p (2-byte RDLENGTH, then RDATA), one by one. */
static int ax_entries(struct axb *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
		      const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
		if (ax_put(b, owner, type, ttl, p + 2, len) < 0)
			return -1;
		p += 2 + len;
	}
	return 0;
}

/* An RRset's records, then its covering RRSIGs.  The synthetic RRSIG
 * RRset of stray signatures has no records, only "covering" ones. */
static int ax_rrset(struct axb *b, const struct snap *s, const uint8_t *owner,
		    const struct snap_rrset *r)
{
	if (ax_entries(b, owner, r->type, r->ttl, snap_at(s, r->rdata), r->count) < 0)
		return -1;
	return ax_entries(b, owner, RR_RRSIG, r->sig_ttl, snap_at(s, snap_rrset_sigs(r)),
			  r->nsigs);
}

/* Every RRset of node n but skip (the apex SOA, sent first and last). */
static int ax_node(struct axb *b, const struct snap *s, const struct snap_node *n,
		   const struct snap_rrset *skip)
{
	const struct snap_rrset *r = snap_node_rrsets(s, n);
	unsigned nr = snap_node_nrrsets(snap_base(s), n);
	const uint8_t *owner = snap_at(s, n->name);
	for (unsigned k = 0; k < nr; k++)
		if (&r[k] != skip && ax_rrset(b, s, owner, &r[k]) < 0)
			return -1;
	return 0;
}

/* The whole zone into b: SOA, the rest, SOA (RFC 5936 §2.2). */
static int ax_zone(struct axb *b, const struct snap *s)
{
	const struct snap_header *h = snap_hdr(s);
	const struct snap_node *nodes = snap_nodes(s);
	const struct snap_rrset *soa = (const struct snap_rrset *)snap_at(s, h->soa);
	const uint8_t *apex = snap_at(s, nodes[h->apex].name);
	const uint8_t *soa_rd = snap_at(s, soa->rdata);
	if (ax_begin(b) < 0 || ax_rrset(b, s, apex, soa) < 0)
		return -1;
	for (uint32_t i = 0; i < h->nnodes; i++)
		if (ax_node(b, s, &nodes[i], soa) < 0)
			return -1;
	if (ax_entries(b, apex, RR_SOA, soa->ttl, soa_rd, 1) < 0)
		return -1;
	return ax_emit(b);
}

long axfr_write(const struct snap *s, const struct axfr_query *q, size_t msg_max,
		axfr_emit_fn emit, void *ud, char *err, size_t errcap)
{
	struct axb b = { .msg_max = msg_max, .q = q, .emit = emit, .ud = ud,
			 .err = err, .errcap = errcap };
	if (msg_max < AXFR_MSG_MIN || msg_max > AXFR_MSG_MAX) {
		fail(&b, "message size %zu outside %d..%d", msg_max, AXFR_MSG_MIN,
		     AXFR_MSG_MAX);
		return -1;
	}
	b.buf = malloc(msg_max);
	if (!b.buf) {
		fail(&b, "out of memory for a %zu-byte message", msg_max);
		return -1;
	}
	int rc = ax_zone(&b, s);
	free(b.buf);
	return rc < 0 ? -1 : b.nmsg;
}

struct axm {
	struct axb b;
};

struct axm *axm_begin(const struct axfr_query *q, size_t msg_max, axfr_emit_fn emit,
		      void *ud, char *err, size_t errcap)
{
	struct axm *m = calloc(1, sizeof *m);
	if (!m || msg_max < AXFR_MSG_MIN || msg_max > AXFR_MSG_MAX ||
	    !(m->b.buf = malloc(msg_max))) {
		snprintf(err, errcap, "out of memory, or message size %zu outside %d..%d",
			 msg_max, AXFR_MSG_MIN, AXFR_MSG_MAX);
		free(m);
		return NULL;
	}
	m->b = (struct axb){ .buf = m->b.buf, .msg_max = msg_max, .q = q, .emit = emit,
			     .ud = ud, .err = err, .errcap = errcap };
	if (ax_begin(&m->b) < 0) {
		axm_end(m, false);
		return NULL;
	}
	return m;
}

int axm_put(struct axm *m, const uint8_t *owner, uint16_t type, uint32_t ttl,
	    const uint8_t *rdata, uint16_t rdlen)
{
	return ax_put(&m->b, owner, type, ttl, rdata, rdlen);
}

long axm_end(struct axm *m, bool ok)
{
	long n = ok && ax_emit(&m->b) == 0 ? m->b.nmsg : -1;
	free(m->b.buf);
	free(m);
	return n;
}