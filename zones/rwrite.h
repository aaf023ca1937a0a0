/*
 * rwrite.h - the response writer of the answer engine: writes a DNS message
 * into the caller's buffer within a size limit, with name compression
 * (RFC 1035 §4.1.4) through a small fixed table, RR encoding from snapshot
 * rdata entries, section counts, and marks to roll back to when an RRset
 * does not fit (no partial RRsets, RFC 2181 §9).
 */
#ifndef RINGDNS_RWRITE_H
#define RINGDNS_RWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RW_AN = 0, RW_NS = 1, RW_AR = 2 };

#define RW_CT_MAX 48		/* compression targets remembered */
#define RW_HDR 12

struct rw {
	uint8_t *buf;
	size_t limit;		/* bytes records may use (OPT room excluded) */
	size_t pos;
	uint16_t cnt[3];	/* RRs per section */
	uint8_t nct;
	uint16_t ct_off[RW_CT_MAX];	/* offsets of names (suffixes) in buf */
	uint8_t ct_lab[RW_CT_MAX];	/* their label counts */
};

/* A point to roll back to. */
struct rw_mark {
	size_t pos;
	uint16_t cnt[3];
	uint8_t nct;
};

/* Starts a message in buf with room for limit bytes; the header (12 bytes,
 * counts filled in by rw_finish) is left to the caller at buf[0..12). */
static inline void rw_init(struct rw *w, uint8_t *buf, size_t limit)
{
	w->buf = buf;
	w->limit = limit;
	w->pos = RW_HDR;
	w->cnt[0] = w->cnt[1] = w->cnt[2] = 0;
	w->nct = 0;
}

/* Remembers the name (suffix) of `labels` labels written at buf[off] as a
 * compression target, while the table has room and off is within a
 * pointer's reach; what rw_name and rw_question do for each suffix they
 * write, for callers that wrote names by other means. */
static inline void rw_target(struct rw *w, size_t off, unsigned labels)
{
	if (w->nct < RW_CT_MAX && off <= 0x3fff && labels > 0) {
		w->ct_off[w->nct] = (uint16_t)off;
		w->ct_lab[w->nct] = (uint8_t)labels;
		w->nct++;
	}
}

static inline void rw_mark(const struct rw *w, struct rw_mark *m)
{
	m->pos = w->pos;
	m->cnt[0] = w->cnt[0];
	m->cnt[1] = w->cnt[1];
	m->cnt[2] = w->cnt[2];
	m->nct = w->nct;
}

static inline void rw_rollback(struct rw *w, const struct rw_mark *m)
{
	w->pos = m->pos;
	w->cnt[0] = m->cnt[0];
	w->cnt[1] = m->cnt[1];
	w->cnt[2] = m->cnt[2];
	w->nct = m->nct;
}

/* Writes the question: name bytes exactly as received (case kept), type,
 * class; the name becomes a compression target (offset 12), so owners
 * equal to it are written as a pointer to the client's spelling.  False
 * when it does not fit. */
bool rw_question(struct rw *w, const uint8_t *qname, size_t qlen, uint16_t qtype,
		 uint16_t qclass);

/* rw_question for a name whose label offsets (lo[i]: label i's length
 * byte) and label count the parser found: no walk over the name.  qname
 * may already be where the question goes (a response written over its
 * own query); any other overlap is not allowed. */
bool rw_question_q(struct rw *w, const uint8_t *qname, size_t qlen, const uint8_t *lo,
		   unsigned labels, uint16_t qtype, uint16_t qclass);

/*
 * Writes count records of one RRset into section sect: owner (NULL = the
 * query name, as a pointer to the question), type, class, ttl and the
 * rdata entries at rd (each a 2-byte RDLENGTH then RDATA, uncompressed).
 * Names inside NS, CNAME, SOA, PTR, MX, MINFO (and the other RFC 1035
 * types) are compressed; others are copied as they are (RFC 3597 §4).
 * Returns false when the whole RRset does not fit, with nothing written.
 */
bool rw_rrset(struct rw *w, int sect, const uint8_t *owner, uint16_t type, uint16_t cls,
	      uint32_t ttl, const uint8_t *rd, uint16_t count);

/* One record whose RDATA is given bare (no RDLENGTH prefix).  Same rules. */
bool rw_rr(struct rw *w, int sect, const uint8_t *owner, uint16_t type, uint16_t cls,
	   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/* Writes a name at the current position with compression, registering it
 * as a compression target.  False when it does not fit. */
bool rw_name(struct rw *w, const uint8_t *name);

/* True for the types whose RDATA names the writer compresses (the
 * well-known types of RFC 1035, RFC 3597 §4); others are copied as is.
 * NS 2, MD 3, MF 4, CNAME 5, SOA 6, MB 7, MG 8, MR 9, PTR 12, MINFO 14,
 * MX 15 (rrtype.h's values: this header stays free of it). */
static inline bool rw_compressed_type(uint16_t type)
{
	return type < 16 && ((1u << type) & 0xd3fcu);
}

/* The fixed part of a record whose owner is a pointer to offset owner:
 * pointer, TYPE, CLASS IN, TTL.  Returns where RDLENGTH goes. */
static inline uint8_t *rw_rr_head(uint8_t *p, uint16_t owner, uint16_t type, uint32_t ttl)
{
	p[0] = (uint8_t)(0xc0 | owner >> 8);
	p[1] = (uint8_t)owner;
	p[2] = (uint8_t)(type >> 8);
	p[3] = (uint8_t)type;
	p[4] = 0;
	p[5] = 1;	/* IN */
	p[6] = (uint8_t)(ttl >> 24);
	p[7] = (uint8_t)(ttl >> 16);
	p[8] = (uint8_t)(ttl >> 8);
	p[9] = (uint8_t)ttl;
	return p + 10;
}

/* Fills the counts (QDCOUNT = qd) into the header; returns the length. */
size_t rw_finish(struct rw *w, uint16_t qd);

#endif
