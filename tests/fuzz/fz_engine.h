/*
 * fz_engine.h - what the fuzz targets of the answer engine share: the
 * fixed state built once (the test zones of tests/data/answer compiled
 * and indexed, a cookie context, the transfer peers), the engine settings
 * one input byte picks, a fixed clock, a reader of the input, a query
 * writer and a strict, independent DNS message parser for the checks.
 *
 * The clock: the targets link with -Wl,--wrap=ck_now,--wrap=time, so
 * that the engine's cookie clock and the TSIG check's time are
 * fze_clock, set from the input: an input gives the same bytes on every
 * run (libFuzzer needs that, and the differential target compares
 * responses made at different moments).
 */
#ifndef RINGDNS_FZ_ENGINE_H
#define RINGDNS_FZ_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/answer.h"
#include "dataplane/rrl.h"

/* Big-endian 16-bit fields. */
static inline uint16_t fze_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void fze_wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071, written apart from dataplane/pkt.c's: the one's complement
 * sum of 16-bit words added to s (an odd last byte padded with zero),
 * and the checksum of a sum (folded, inverted). */
static inline uint32_t fze_sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += fze_rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t fze_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* What ck_now() and time() return in a target. */
extern uint32_t fze_clock;
#define FZE_CLOCK_BASE 1750000000u

/* Builds the zones, index, cookie context and peers (fz_engine.c's
 * LLVMFuzzerInitialize calls it for every target that links it); aborts (with why on
 * stderr) when the test zones are not found: SRCDIR names the source
 * tree, else the current directory is taken as it. */
void fze_init(void);
const struct zidx *fze_root(void);

/* The settings of flags bits (FZE_C_*): cookies (required or not), NSID,
 * the EDNS ceiling, general path only.  The CHAOS identity and the peers
 * are always there. */
enum {
	FZE_C_COOKIE = 1 << 0,
	FZE_C_COOKIE_REQ = 1 << 1,
	FZE_C_NSID = 1 << 2,
	FZE_C_UDP_SHIFT = 3,	/* 2 bits: max_udp 1232, 512, 4096, 1400 */
	FZE_C_GENERAL = 1 << 5,
	FZE_C_RRL = 1 << 6,	/* for the caller: rate limiting on */
	FZE_C_VALID_COOKIE = 1 << 7,	/* for the caller: make server cookies valid */
};
void fze_cfg(uint8_t flags, struct ans_cfg *out);

/* A rate-limiting table for one input (rate and slip from b; a fixed
 * hash seed), and its worker handle; fze_rrl_end frees it. */
void fze_rrl_begin(uint8_t b, struct rrl_worker *w);
void fze_rrl_end(struct rrl_worker *w);
/* Zeroed counters for rrl_response/rrl_burst. */
struct wstats *fze_wstats(void);

/* Makes every COOKIE option of 24 bytes in q[0..len) carry a valid
 * server cookie for its client cookie and the address ip (4 or 16
 * bytes), made age seconds before fze_clock: the engine's valid, refresh
 * and expired paths, which a mutation could never reach (SipHash). */
void fze_valid_cookies(uint8_t *q, size_t len, const uint8_t *ip, size_t iplen, int32_t age);

/* ---- the input ---- */

struct fze_in {
	const uint8_t *p;
	size_t n;
};
/* The next byte, 0 when none is left. */
uint8_t fze_u8(struct fze_in *in);
/* The next framed message (2-byte big-endian length, then its bytes; a
 * length past the end takes the rest).  False when the input is spent. */
bool fze_msg(struct fze_in *in, const uint8_t **m, size_t *len);

/* ---- a peer the input picks ---- */

/* The source of a query: one of a few addresses (the allowed primary of
 * the peers among them), in one of the engine's peer kinds.  k (3 bits)
 * picks which (4 bits).  storage must outlive req.  Returns the address as 4 or 16
 * bytes in ip (*iplen; 0: none known) for the cookie maker. */
struct fze_peer {
	uint8_t raw[16];
	uint8_t ss[128];	/* a struct sockaddr_storage */
};
void fze_peer(unsigned k, struct fze_peer *storage, struct ans_req *req, uint8_t ip[16],
	      size_t *iplen);

/* ---- queries ---- */

/* A query for name (wire) and type, class IN, id 0x1234, with an OPT RR
 * (payload 1232, DO when do_bit) when edns.  Returns its length (cap >=
 * 12 + DNAME_MAX + 4 + 11). */
size_t fze_query(uint8_t *buf, const uint8_t *name, uint16_t type, bool edns, bool do_bit);

/* ---- the strict parser ---- */

#define FZE_RR_MAX 2048

struct fze_rr {
	uint16_t type, cls;
	uint32_t ttl;
	uint16_t rdoff, rdlen;	/* RDATA at msg + rdoff */
	uint8_t sect;		/* 0 question... 1 answer, 2 authority, 3 additional */
};

struct fze_msg {
	uint16_t id, flags;
	uint16_t count[4];	/* QD, AN, NS, AR as in the header */
	uint8_t qname[255];	/* the first question's name, uncompressed, case kept */
	uint16_t qname_len;
	uint16_t qtype, qclass;
	size_t qend;		/* offset after the first question */
	struct fze_rr rr[FZE_RR_MAX];
	size_t nrr;
	int opt;		/* index in rr of the OPT RR, -1 none */
	unsigned nopt;
	int tsig;		/* index of a TSIG RR, -1 none */
};

/*
 * Parses msg[0..len) strictly: header, every question and record the
 * counts announce, names through compression pointers that only point
 * back to earlier bytes, RDATA of the types whose layout is known checked
 * (names in it, compressed only for the RFC 1035 types, RFC 3597 §4),
 * nothing after the last record.  Returns NULL when well-formed, else
 * why.  Written for the checks, apart from the engine's own parsers.
 */
const char *fze_parse(const uint8_t *msg, size_t len, struct fze_msg *m);

#endif
