/*
 * reply.h - the envelope of every response of the answer engine, whichever
 * path wrote its records: the size limit (RFC 1035 §4.2.1, RFC 6891
 * §6.2.3-6.2.5), the header (RFC 1035 §4.1.1, RFC 4035 §3.1.6) and the OPT
 * RR (RFC 6891 §6.1.2-6.1.3).  Internal to dataplane/.  Inline: the fast
 * paths need their constant counts and RCODE folded in (out of line, the
 * writer cost 2 to 4 % of the instructions of a hit, an NXDOMAIN or a
 * wildcard answer).
 */
#ifndef RINGDNS_REPLY_H
#define RINGDNS_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/answer.h"
#include "dataplane/query.h"
#include "zones/rrtype.h"
#include "zones/rwrite.h"

#define DEFAULT_MAX_UDP 1232	/* RFC 6891 §6.2.5, the DNS flag day 2020 value */
#define OPT_FIXED 11		/* root name, type, class, ttl, rdlength */

static inline void eng_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct eng_env {
	size_t limit;		/* the response's size limit (OPT included) */
	uint16_t optlen;	/* room kept for the OPT RR (0: none) */
	bool opt;		/* the response carries an OPT RR */
	bool nsid;		/* with the NSID option */
	bool cookie;		/* with the COOKIE option (q->cookie) */
	bool tcp;		/* over TCP (RFC 7766) */
};

/* What the header says besides what it echoes of the query. */
struct eng_head {
	unsigned rcode;		/* 0..4095 (extended bits go in OPT) */
	int ede;		/* Extended DNS Error code, -1 none */
	bool aa, tc;
	uint16_t qd, an, ns, ar;	/* section counts, ar without the OPT */
};

/* The size limit and OPT of the response to q (parsed with status st),
 * over tcp or not, into a buffer of outcap >= 512 bytes. */
static inline void eng_env_init(struct eng_env *env, const struct ans_cfg *cfg,
				const struct qry *q, enum qry_status st, bool tcp,
				size_t outcap)
{
	size_t limit;
	if (tcp) {
		limit = 65535;
	} else if (q->edns) {
		uint16_t max_udp = cfg->max_udp ? cfg->max_udp : DEFAULT_MAX_UDP;
		limit = q->payload < max_udp ? q->payload : max_udp;
		if (limit < 512)
			limit = 512;
	} else {
		limit = 512;
	}
	if (limit > outcap)
		limit = outcap;
	/* A malformed query gets no OPT: what it carried cannot be trusted
	 * (Knot does the same; RFC 6891 §7 asks only for FORMERR).  But a
	 * query without a question whose records are well-formed (the
	 * parser says so in edns) gets one, as Knot answers. */
	bool opt = q->edns && (st != QRY_FORMERR || !q->has_q);
	bool nsid = opt && q->nsid && cfg->nsid && (st == QRY_OK || st == QRY_SIGNED);
	/* RFC 7873 §5.2: a server that saw a COOKIE option answers with
	 * one; the burst made it (q->cookie, CK_RESP_LEN bytes) */
	bool cookie = opt && q->cookie_len == CK_RESP_LEN && st != QRY_FORMERR;
	size_t optlen = opt ? OPT_FIXED + (nsid ? 4u + cfg->nsid_len : 0) +
				      (cookie ? 4u + CK_RESP_LEN : 0)
			    : 0;
	if (optlen > limit - RW_HDR - DNAME_MAX - 4) {
		nsid = false;	/* an NSID too long to ever fit */
		optlen = OPT_FIXED + (cookie ? 4u + CK_RESP_LEN : 0);
	}
	env->limit = limit;
	env->optlen = (uint16_t)optlen;
	env->opt = opt;
	env->nsid = nsid;
	env->cookie = cookie;
	env->tcp = tcp;
}

/* The OPT RR of the response at p (room for it was kept); returns its
 * length.  EDNS options: NSID (RFC 5001), COOKIE (RFC 7873), then EDE
 * (RFC 8914) when there is room to spare. */
static inline size_t eng_put_opt(const struct ans_cfg *cfg, const struct qry *q, unsigned rcode,
				 int ede, uint8_t *p, size_t room, const struct eng_env *env)
{
	uint16_t max_udp = cfg->max_udp ? cfg->max_udp : DEFAULT_MAX_UDP;
	size_t n = OPT_FIXED;
	p[0] = 0;
	eng_put16(p + 1, RR_OPT);
	eng_put16(p + 3, max_udp < 512 ? 512 : max_udp);
	p[5] = (uint8_t)(rcode >> 4);
	p[6] = 0;
	p[7] = q->do_bit ? 0x80 : 0;
	p[8] = 0;
	if (env->nsid) {
		eng_put16(p + n, EDNS_OPT_NSID);
		eng_put16(p + n + 2, cfg->nsid_len);
		memcpy(p + n + 4, cfg->nsid, cfg->nsid_len);
		n += 4u + cfg->nsid_len;
	}
	if (env->cookie) {
		eng_put16(p + n, EDNS_OPT_COOKIE);
		eng_put16(p + n + 2, CK_RESP_LEN);
		memcpy(p + n + 4, q->cookie, CK_RESP_LEN);
		n += 4u + CK_RESP_LEN;
	}
	if (ede >= 0 && room >= n + 6) {
		eng_put16(p + n, EDNS_OPT_EDE);
		eng_put16(p + n + 2, 2);
		eng_put16(p + n + 4, (uint16_t)ede);
		n += 6;
	}
	eng_put16(p + 9, (uint16_t)(n - OPT_FIXED));
	return n;
}

/* Writes the header (out[0..12)) and, when env->opt, the OPT RR at
 * out + len (room for it was kept); returns the response's length.  The
 * one writer of both for every path. */
static inline size_t eng_finish(const struct ans_cfg *cfg, const struct qry *q,
				const struct eng_env *env, const struct eng_head *hd, uint8_t *out,
				size_t len)
{
	eng_put16(out, q->id);
	/* RFC 1035 §4.1.1: QR set, OPCODE and RD copied, AA and TC ours;
	 * RA 0 (no recursion here), Z 0.  RFC 4035 §3.1.6: CD copied; AD
	 * left 0, as an authoritative server that does not validate sets it
	 * only per §3.2.3 (a validating resolver's rule). */
	out[2] = (uint8_t)(0x80 | (q->opcode & 0x0f) << 3 | (hd->aa ? 0x04 : 0) |
			   (hd->tc ? 0x02 : 0) | (q->rd ? 0x01 : 0));
	out[3] = (uint8_t)((q->cd ? 0x10 : 0) | (hd->rcode & 0x0f));
	eng_put16(out + 4, hd->qd);
	eng_put16(out + 6, hd->an);
	eng_put16(out + 8, hd->ns);
	eng_put16(out + 10, (uint16_t)(hd->ar + (env->opt ? 1 : 0)));
	if (env->opt)
		len += eng_put_opt(cfg, q, hd->rcode, hd->ede, out + len, env->limit - len, env);
	return len;
}


#endif
