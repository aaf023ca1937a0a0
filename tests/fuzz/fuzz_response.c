/*
 * fuzz_response.c - libFuzzer target, differential: every query of the
 * input is answered by the answer engine several ways over the test
 * zones, and the responses are checked against each other and against
 * the protocol.  Any violation aborts with the query and the responses in
 * hex.
 *
 * The same bytes, every way: one query alone (ans_respond) into another
 * buffer; the same written over its own query (in place, as the DPDK path
 * answers); the general path alone (ans_cfg.general_only: the fast paths
 * must write what it writes); and all the input's queries in one burst
 * (ans_respond_burst), half of them in place.
 *
 * Each response (an independent strict parser, fz_engine.c): well-formed
 * (the counts match the records present, names and the RDATA of known
 * types in bounds, compression pointers only backwards and only where
 * RFC 3597 §4 allows them, nothing after the last record, one OPT at
 * most, in the additional section, TSIG last); QR set, ID and OPCODE
 * echoed; the question echoed as sent (case included) when there is one,
 * and there is one in every NOERROR or NXDOMAIN answer to a QUERY with
 * one question; within the size limit (UDP: the client's EDNS size, or
 * 512 without EDNS, at most the server's EDNS ceiling and never below
 * 512; TCP 65535); OPT present iff the query had one, except a FORMERR
 * (RFC 6891 §7); over UDP, TC set when the answer or authority section
 * lost records the TCP response to the same query has, and set only when
 * that response is over the UDP limit; the outcome (struct ans_outcome)
 * agrees with the bytes.
 *
 * Input: [settings: FZE_C_*, the general-path and rate-limit bits unused]
 * [mode: bit 0 TCP, bits 1-2 the buffer size, bits 3-6 the peer, bit 7
 * cookie age] then the queries, each a 2-byte length and its bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "tests/fuzz/fz_engine.h"
#include "zones/rrtype.h"

#define NQ 20
#define RCODE_NOERROR 0
#define RCODE_FORMERR 1
#define RCODE_NXDOMAIN 3
#define FLAG_QR 0x8000
#define FLAG_TC 0x0200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hex(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", p[i]);
	fprintf(stderr, "\n");
}

/* One query and what it got, for the messages. */
struct qa {
	const uint8_t *q;
	size_t qlen;
	const uint8_t *a;
	size_t alen;
};

static _Noreturn void fail(const struct qa *x, const char *fmt, const char *arg,
			   const uint8_t *other, size_t olen)
{
	fprintf(stderr, "response invariant broken: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	hex("query", x->q, x->qlen);
	hex("response", x->a, x->alen);
	if (other)
		hex("the other response", other, olen);
	abort();
}

static void same(const struct qa *x, const char *what, const uint8_t *b, size_t blen)
{
	if (blen != x->alen || memcmp(b, x->a, blen) != 0)
		fail(x, "%s differs from the single answer into another buffer", what, b, blen);
}

/* The UDP size limit of the query's response (RFC 6891 §6.2.3-6.2.5),
 * from the query's OPT as the strict parser read it; the loosest bound
 * when it could not parse the query. */
static size_t udp_limit(const struct fze_msg *qm, bool qok, const struct ans_cfg *cfg)
{
	size_t max = cfg->max_udp;
	if (!qok)
		return max > 512 ? max : 512;
	if (qm->opt < 0)
		return 512;
	size_t want = qm->rr[qm->opt].cls;
	size_t lim = want < max ? want : max;
	return lim < 512 ? 512 : lim;
}

static struct fze_msg qm, am, tm;

/*
 * The protocol invariants of the response x->a to x->q over tcp, with
 * outcome oc; tcp_resp (UDP only, NULL otherwise) is the TCP response to
 * the same query.
 */
static void check(const struct qa *x, const struct ans_cfg *cfg, bool tcp, size_t cap,
		  const struct ans_outcome *oc, const uint8_t *tcp_resp, size_t tcp_len)
{
	const char *why = fze_parse(x->a, x->alen, &am);
	if (why)
		fail(x, "malformed: %s", why, NULL, 0);
	bool qok = fze_parse(x->q, x->qlen, &qm) == NULL;
	unsigned rcode = am.flags & 15;
	if (!(am.flags & FLAG_QR) || am.id != (x->q[0] << 8 | x->q[1]) ||
	    (am.flags >> 11 & 15) != (x->q[2] >> 3 & 15))
		fail(x, "%s not echoed", "QR, ID or OPCODE", NULL, 0);
	if (am.count[0] > 1)
		fail(x, "%s", "more than one question", NULL, 0);
	if (am.count[0] == 1 && qm.qname_len &&
	    (am.qname_len != qm.qname_len || memcmp(am.qname, qm.qname, qm.qname_len) ||
	     am.qtype != qm.qtype || am.qclass != qm.qclass))
		fail(x, "%s", "question not echoed as sent", NULL, 0);
	if (qok && qm.count[0] == 1 && (x->q[2] >> 3 & 15) == 0 && am.count[0] == 0 &&
	    (rcode == RCODE_NOERROR || rcode == RCODE_NXDOMAIN))
		fail(x, "%s", "answer without the question", NULL, 0);
	size_t limit = tcp ? 65535 : udp_limit(&qm, qok, cfg);
	if (limit > cap)
		limit = cap;	/* the buffer is the limit when smaller */
	if (x->alen > limit)
		fail(x, "%s", "longer than its limit", NULL, 0);
	if (am.nopt > 1)
		fail(x, "%s", "more than one OPT", NULL, 0);
	if (qok && (qm.opt >= 0) != (am.opt >= 0) && !(qm.opt >= 0 && rcode == RCODE_FORMERR))
		fail(x, "%s", qm.opt >= 0 ? "OPT missing" : "OPT without one in the query", NULL, 0);
	unsigned full = rcode | (am.opt >= 0 ? (am.rr[am.opt].ttl >> 24) << 4 : 0);
	if (oc->rcode != full || oc->tc != !!(am.flags & FLAG_TC) || oc->dropped)
		fail(x, "%s", "outcome disagrees with the bytes", NULL, 0);
	if (tcp || !tcp_resp || fze_parse(tcp_resp, tcp_len, &tm) || (tm.flags & 15) != rcode)
		return;
	/* RFC 2181 §9: TC when records that belong in the answer or
	 * authority section were left out; only then */
	if ((unsigned)am.count[1] + am.count[2] < (unsigned)tm.count[1] + tm.count[2] &&
	    !(am.flags & FLAG_TC))
		fail(x, "%s", "records cut without TC", tcp_resp, tcp_len);
	/* (the limit is known when the query parsed: its OPT RR says it) */
	if ((am.flags & FLAG_TC) && qok && tcp_len <= limit)
		fail(x, "%s", "TC set though the whole response fits", tcp_resp, tcp_len);
}

static const int32_t ages[2] = { 100, 2000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[4] = { 512, 1232, 2006, 65535 };
	struct fze_in in = { data, size };
	uint8_t flags = fze_u8(&in), mode = fze_u8(&in);
	bool tcp = mode & 1;
	size_t cap = tcp ? 65535 : caps[mode >> 1 & 3];
	struct ans_cfg cfg, gen;
	fze_cfg(flags & (uint8_t)~FZE_C_GENERAL, &cfg);
	fze_cfg(flags | FZE_C_GENERAL, &gen);
	fze_clock = FZE_CLOCK_BASE;

	struct ans_req reqs[NQ];
	struct fze_peer peers[NQ];
	uint8_t *qs[NQ], *ans[NQ], *outs[NQ];
	size_t alens[NQ], caps_[NQ], lens[NQ], n = 0;
	struct ans_outcome oc, ocs[NQ];
	uint8_t *buf = malloc(65535), *tbuf = malloc(65535);
	const uint8_t *m;
	size_t ml;
	while (n < NQ && fze_msg(&in, &m, &ml)) {
		uint8_t ip[16];
		size_t iplen;
		struct ans_req *r = &reqs[n];
		*r = (struct ans_req){ .tcp = tcp };
		fze_peer(mode >> 3 & 15, &peers[n], r, ip, &iplen);
		qs[n] = malloc(ml ? ml : 1);
		memcpy(qs[n], m, ml);
		if (flags & FZE_C_VALID_COOKIE)
			fze_valid_cookies(qs[n], ml, ip, iplen, ages[mode >> 7]);
		r->q = qs[n];
		r->qlen = ml;
		/* every way gets the same room: the buffer, or the query's
		 * length when that is more (in place, it must hold the query) */
		size_t room = caps_[n] = ml > cap ? ml : cap;
		ans[n] = malloc(room);
		alens[n] = ans_respond(fze_root(), &cfg, r, ans[n], room, &oc);
		struct qa x = { qs[n], ml, ans[n], alens[n] };
		if (oc.dropped != (alens[n] == 0))
			fail(&x, "%s", "dropped and a response", NULL, 0);
		/* the general path alone */
		same(&x, "the general path's", buf,
		     ans_respond(fze_root(), &gen, r, buf, room, NULL));
		/* in place */
		uint8_t *ip_buf = malloc(room);
		memcpy(ip_buf, qs[n], ml);
		struct ans_req rp = *r;
		rp.q = ip_buf;
		size_t l = ans_respond(fze_root(), &cfg, &rp, ip_buf, room, NULL);
		same(&x, "the answer in place", ip_buf, l);
		free(ip_buf);
		if (alens[n]) {
			struct ans_req rt = *r;
			rt.tcp = true;
			size_t tl = tcp ? 0 : ans_respond(fze_root(), &cfg, &rt, tbuf, 65535, NULL);
			check(&x, &cfg, tcp, room, &oc, tcp ? NULL : tbuf, tl);
		}
		n++;
	}
	/* the burst: even queries in place, odd ones into other buffers */
	for (size_t i = 0; i < n; i++) {
		outs[i] = malloc(caps_[i]);
		if (i % 2 == 0) {
			memcpy(outs[i], qs[i], reqs[i].qlen);
			reqs[i].q = outs[i];
		}
	}
	ans_respond_burst(fze_root(), &cfg, reqs, n, outs, caps_, lens, ocs);
	for (size_t i = 0; i < n; i++) {
		struct qa x = { qs[i], reqs[i].qlen, ans[i], alens[i] };
		same(&x, "the burst's", outs[i], lens[i]);
		free(outs[i]);
		free(qs[i]);
		free(ans[i]);
	}
	free(buf);
	free(tbuf);
	return 0;
}
