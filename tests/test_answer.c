/*
 * test_answer.c - the answer engine (dataplane/answer.c, dnssec.c,
 * chaos.c) through ans_respond: zones built from text, compiled and
 * indexed; queries crafted as bytes; responses parsed with the bounds-
 * checked cursor.  Each test cites the rule it checks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/wire.h"
#include "tests/dnsmsg.h"
#include "tests/zt.h"

/* ---- the engine on test zones ---- */

static struct zt_serve sv;
static struct zidx *root;

static void setup(void)
{
	char err[16384];
	sv.n = 0;
	cr_assert_eq(zt_serve_answer_zones(&sv, getenv("SRCDIR"), err, sizeof err), 0, "%s", err);
	root = zidx_new(sv.snaps, sv.n);
	cr_assert_not_null(root);
}

static void teardown(void)
{
	zidx_free(root);
	zt_serve_free(&sv);
}

TestSuite(answer, .init = setup, .fini = teardown);

static struct ans_cfg cfg = {
	.max_udp = 1232,
	.nsid = "ns-test",
	.nsid_len = 7,
	.identity = "id-test",
	.version = "v-test",
};

/* ---- queries ---- */


/* ---- responses ---- */

struct rr {
	char owner[DNAME_TEXT_MAX];	/* as written (case kept) */
	uint16_t type, cls;
	uint32_t ttl;
	const uint8_t *rd;
	uint16_t rdlen;
	size_t owner_off;		/* where the owner starts in the message */
};

struct resp {
	size_t len;
	uint16_t id;
	uint8_t f1, f2;
	unsigned rcode;			/* with OPT's extended bits */
	uint16_t qd, cnt[3];
	char qname[DNAME_TEXT_MAX];
	struct rr rr[3][64];
	bool opt, opt_do;
	uint16_t opt_size;
	uint8_t opt_ver;
	bool opt_nsid;
	int ede;
};

static uint8_t out[65536];
static struct resp r;

static void parse_name(struct wire_cur *c, char *txt)
{
	uint8_t n[DNAME_MAX];
	cr_assert_gt(dname_unpack(c, out, r.len, n), 0, "bad name in response");
	dname_to_text(txt, DNAME_TEXT_MAX, n);
}

/* Sends the query through ans_respond and parses the reply into r;
 * returns the response length (0: dropped). */
static size_t ask(const char *name, uint16_t type, const struct dm_qopt *o)
{
	uint8_t q[600];
	size_t ql = dm_query(q, sizeof q, name, type, o);
	struct ans_req req = { .q = q, .qlen = ql, .tcp = o->tcp };
	memset(&r, 0, sizeof r);
	memset(out, 0xee, sizeof out);
	r.len = ans_respond(root, &cfg, &req, out, 65535, NULL);
	r.ede = -1;
	if (!r.len)
		return 0;
	struct wire_cur c;
	wire_init(&c, out, r.len);
	r.id = wire_u16(&c);
	r.f1 = wire_u8(&c);
	r.f2 = wire_u8(&c);
	r.rcode = r.f2 & 0xf;
	r.qd = wire_u16(&c);
	for (int s = 0; s < 3; s++)
		r.cnt[s] = wire_u16(&c);
	if (r.qd) {
		parse_name(&c, r.qname);
		wire_skip(&c, 4);
	}
	for (int s = 0; s < 3; s++) {
		unsigned k = 0;
		for (unsigned i = 0; i < r.cnt[s]; i++) {
			struct rr *x = &r.rr[s][k];
			x->owner_off = (size_t)(c.pos - out);
			parse_name(&c, x->owner);
			x->type = wire_u16(&c);
			x->cls = wire_u16(&c);
			x->ttl = wire_u32(&c);
			x->rdlen = wire_u16(&c);
			x->rd = wire_take(&c, x->rdlen);
			cr_assert(wire_ok(&c), "record %u of section %d cut short", i, s);
			if (s == 2 && x->type == RR_OPT) {
				cr_assert_not(r.opt, "two OPT RRs in a response");
				r.opt = true;
				r.opt_size = x->cls;
				r.rcode |= (x->ttl >> 24) << 4;
				r.opt_ver = (uint8_t)(x->ttl >> 16);
				r.opt_do = (x->ttl & 0x8000) != 0;
				struct wire_cur oc;
				wire_init(&oc, x->rd, x->rdlen);
				while (wire_left(&oc)) {
					uint16_t code = wire_u16(&oc), len = wire_u16(&oc);
					const uint8_t *d = wire_take(&oc, len);
					cr_assert(wire_ok(&oc));
					if (code == 3)
						r.opt_nsid = len == cfg.nsid_len &&
							     !memcmp(d, cfg.nsid, len);
					if (code == 15 && len >= 2)
						r.ede = d[0] << 8 | d[1];
				}
				continue;
			}
			k++;
		}
		r.cnt[s] = (uint16_t)k;
	}
	cr_assert(wire_done(&c), "trailing bytes in the response");
	return r.len;
}

#define AA(r) (((r).f1 & 0x04) != 0)
#define TC(r) (((r).f1 & 0x02) != 0)

/* Records of type in section s (owner NULL: any). */
static unsigned count(int s, uint16_t type, const char *owner)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r.cnt[s]; i++)
		if (r.rr[s][i].type == type &&
		    (!owner || strcasecmp(r.rr[s][i].owner, owner) == 0))
			n++;
	return n;
}

static const struct rr *first(int s, uint16_t type)
{
	for (unsigned i = 0; i < r.cnt[s]; i++)
		if (r.rr[s][i].type == type)
			return &r.rr[s][i];
	return NULL;
}

static const struct dm_qopt plain = { 0 };
static const struct dm_qopt edns = { .edns = true };
static const struct dm_qopt dnssec = { .edns = true, .do_bit = true };

/* ---- header ---- */

Test(answer, header)
{
	/* RFC 1035 §4.1.1: ID copied, QR, opcode, RD copied, RA 0, AA on
	 * authoritative data; RFC 4035 §3.1.6 (and §3): CD copied */
	struct dm_qopt o = { .f1 = 0x01, .f2 = 0x10 };
	cr_assert_gt(ask("www.example.com.", RR_A, &o), 0);
	cr_assert_eq(r.id, 0x5a5a);	/* dm_query's default */
	cr_assert_eq(r.f1 & 0x80, 0x80);
	cr_assert_eq(r.f1 & 0x78, 0);
	cr_assert(AA(r));
	cr_assert_eq(r.f1 & 0x01, 0x01);
	cr_assert_eq(r.f2 & 0x80, 0, "RA must stay 0");
	cr_assert_eq(r.f2 & 0x10, 0x10);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.qd, 1);
	cr_assert_not(r.opt, "no OPT without one in the query (RFC 6891 §7)");
}

Test(answer, dropped_and_formerr)
{
	/* RFC 1035 §4.1.1: a response (QR=1) or a runt is never answered */
	struct dm_qopt o = { .f1 = 0x80 };
	cr_assert_eq(ask("www.example.com.", RR_A, &o), 0);
	uint8_t q[11] = { 0 };
	struct ans_req req = { .q = q, .qlen = sizeof q };
	cr_assert_eq(ans_respond(root, &cfg, &req, out, sizeof out, NULL), 0);
	/* QDCOUNT 0: FORMERR, no question */
	uint8_t h[12] = { 1, 2, 0, 0 };
	req.q = h;
	req.qlen = sizeof h;
	size_t n = ans_respond(root, &cfg, &req, out, sizeof out, NULL);
	cr_assert_eq(n, 12);
	cr_assert_eq(out[3] & 0xf, 1);
	cr_assert_eq(out[0], 1);
	cr_assert_eq(out[5], 0);
}

Test(answer, notimp_opcode)
{
	/* RFC 1035 §4.1.1: opcode STATUS not implemented, opcode echoed */
	struct dm_qopt o = { .f1 = 2 << 3 };
	ask("www.example.com.", RR_A, &o);
	cr_assert_eq(r.rcode, 4);
	cr_assert_eq((r.f1 >> 3) & 0xf, 2);
	cr_assert_eq(r.cnt[0], 0);
}

/* RFC 6891 §7: a responder that saw an OPT RR answers with one; so do
 * the few answers the signed path writes itself, a NOTIFY's and a TSIG
 * error's (the fuzz_response target found them without). */
Test(answer, notify_and_tsig_error_keep_opt)
{
	struct dm_qopt o = { .edns = true, .f1 = 4 << 3 };
	cr_assert_gt(ask("example.com.", RR_SOA, &o), 0);
	cr_assert_eq((r.f1 >> 3) & 0xf, 4);
	cr_assert_eq(r.rcode, 5, "REFUSED: no peers");
	cr_assert(r.opt, "no OPT in the answer to a NOTIFY with one");
	o.edns = false;
	cr_assert_gt(ask("example.com.", RR_SOA, &o), 0);
	cr_assert_not(r.opt);
	/* a query signed with a key the server does not know: NOTAUTH,
	 * BADKEY (RFC 8945 §5.2.1), after the OPT RR */
	static const uint8_t tsig[] = {
		1, 'k', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 29,
		11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
		0, 0, 0x68, 0x50, 0x5c, 0x80, 1, 0x2c, 0, 0, 0x5a, 0x5a, 0, 0, 0, 0,
	};
	uint8_t q[600];
	struct dm_qopt e = { .edns = true };
	size_t ql = dm_query(q, sizeof q, "www.example.com.", RR_A, &e);
	memcpy(q + ql, tsig, sizeof tsig);
	q[11]++;
	struct ans_req req = { .q = q, .qlen = ql + sizeof tsig };
	size_t n = ans_respond(root, &cfg, &req, out, sizeof out, NULL);
	cr_assert_gt(n, 12);
	cr_assert_eq(out[3] & 0xf, 9, "NOTAUTH");
	cr_assert_eq(out[10] << 8 | out[11], 2, "the OPT and the TSIG");
}

/* RFC 6891 §7 again: another opcode with no question or two (UPDATE
 * here) is NOTIMP, with the OPT RR it came with (the fuzz_response
 * target found it without); a malformed record makes it FORMERR. */
Test(answer, notimp_keeps_opt)
{
	static const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };
	static const uint8_t two_q[] = { 3, 'f', 'o', 'o', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1 };
	uint8_t q[64] = { 0x5a, 0x5a, 5 << 3, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	for (int k = 0; k < 3; k++) {
		size_t ql = 12;
		if (k > 0) {	/* two questions, the second compressed */
			q[5] = 2;
			memcpy(q + ql, two_q, sizeof two_q);
			ql += sizeof two_q;
		}
		memcpy(q + ql, opt, sizeof opt);
		ql += sizeof opt;
		if (k == 2)
			q[ql - 1] = 4;	/* RDLENGTH past the end */
		struct ans_req req = { .q = q, .qlen = ql };
		size_t n = ans_respond(root, &cfg, &req, out, sizeof out, NULL);
		cr_assert_geq(n, 12, "case %d", k);
		cr_assert_eq(out[3] & 0xf, k == 2 ? 1 : 4, "case %d: NOTIMP, or FORMERR", k);
		cr_assert_eq(out[11], k == 2 ? 0 : 1, "case %d: the OPT RR", k);
		cr_assert_eq(n, k == 2 ? 12u : 12u + 11, "case %d", k);
	}
}

/* An NSEC3 record at the apex (where RFC 5155 §3 puts none: hashed owners
 * are one label below it) is served as data; the apex was taken for a
 * hashed owner, whose parent the engine takes, and the apex has none:
 * queries for the apex crashed (found by the fuzz_overlay target). */
Test(answer, nsec3_record_at_the_apex)
{
	struct zt_cz c = { 0 };
	zt_cz_load(&c, "apex.test.", "$TTL 300\n"
		   "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
		   "@ NS ns1\n"
		   "@ NSEC3 1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A\n"
		   "ns1 A 198.18.0.1\n");
	struct zidx *ix = zidx_new(&c.s, 1);
	cr_assert_not_null(ix);
	static const uint16_t types[] = { RR_SOA, RR_A, RR_NSEC3, RR_DS };
	for (size_t k = 0; k < 2 * sizeof types / sizeof types[0]; k++) {
		uint8_t q[600];
		struct dm_qopt o = { .edns = true, .do_bit = k % 2 };
		size_t ql = dm_query(q, sizeof q, "apex.test.", types[k / 2], &o);
		struct ans_req req = { .q = q, .qlen = ql };
		size_t n = ans_respond(ix, &cfg, &req, out, sizeof out, NULL);
		cr_assert_gt(n, 12, "type %u", types[k / 2]);
		cr_assert_eq(out[3] & 0xf, 0, "NOERROR for type %u", types[k / 2]);
		if (types[k / 2] == RR_NSEC3)
			cr_assert_eq(out[6] << 8 | out[7], 1, "the apex's NSEC3 answered");
	}
	zidx_free(ix);
	zt_cz_free(&c);
}

/* ---- RFC 1034 §4.3.2 ---- */

Test(answer, exact_match_and_0x20)
{
	/* step 3a; RFC 4343 §4.1: the question as sent, owners point to it */
	ask("wWw.ExAmPlE.cOm.", RR_A, &plain);
	cr_assert_str_eq(r.qname, "wWw.ExAmPlE.cOm.");
	cr_assert_eq(count(0, RR_A, "www.example.com."), 2);
	cr_assert_str_eq(r.rr[0][0].owner, "wWw.ExAmPlE.cOm.");
	cr_assert_eq(r.rr[0][0].ttl, 600);
	cr_assert_eq(r.cnt[1] + r.cnt[2], 0, "minimal responses: nothing else");
	/* the owner is a pointer to the question name (offset 12) */
	cr_assert_eq(out[r.rr[0][0].owner_off], 0xc0);
	cr_assert_eq(out[r.rr[0][0].owner_off + 1], 12);
}

Test(answer, nodata)
{
	/* RFC 2308 §2.2, §3: SOA in authority with TTL min(SOA TTL, MINIMUM) */
	ask("www.example.com.", RR_MX, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert(AA(r));
	cr_assert_eq(r.cnt[0], 0);
	cr_assert_eq(count(1, RR_SOA, "example.com."), 1);
	cr_assert_eq(first(1, RR_SOA)->ttl, 300);
}

Test(answer, nxdomain)
{
	/* RFC 1034 §4.3.2 step 3c, RFC 2308 §2.1 */
	ask("nope.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 3);
	cr_assert(AA(r));
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
	cr_assert_eq(first(1, RR_SOA)->ttl, 300);
	ask("deep.nope.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 3);
}

Test(answer, cname_chain)
{
	/* step 3a: CNAMEs followed inside the zone; RFC 1034 §3.6.2 */
	ask("alias.example.com.", RR_A, &plain);
	cr_assert_eq(count(0, RR_CNAME, "alias.example.com."), 1);
	cr_assert_eq(count(0, RR_CNAME, "alias2.example.com."), 1);
	cr_assert_eq(count(0, RR_A, "www.example.com."), 2);
	/* asking for the CNAME itself does not follow it */
	ask("alias.example.com.", RR_CNAME, &plain);
	cr_assert_eq(r.cnt[0], 1);
	/* chain ending in NODATA: chain and SOA */
	ask("alias.example.com.", RR_MX, &plain);
	cr_assert_eq(count(0, RR_CNAME, NULL), 2);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
	/* out of every zone: the CNAME only */
	ask("ext.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.cnt[0], 1);
	cr_assert_eq(r.cnt[1], 0);
}

Test(answer, cname_loop)
{
	/* a loop ends where it closes, each CNAME once */
	ask("loop1.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(count(0, RR_CNAME, "loop1.example.com."), 1);
	cr_assert_eq(count(0, RR_CNAME, "loop2.example.com."), 1);
	cr_assert_eq(r.cnt[0], 2);
}

Test(answer, dname)
{
	/* RFC 6672 §2.2, §3.1: DNAME and a CNAME with the DNAME's TTL */
	ask("foo.dn.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(count(0, RR_DNAME, "dn.example.com."), 1);
	const struct rr *cn = first(0, RR_CNAME);
	cr_assert_not_null(cn);
	cr_assert_str_eq(cn->owner, "foo.dn.example.com.");
	cr_assert_eq(cn->ttl, 3600);
	/* the owner of a DNAME is not redirected (§2.3) */
	ask("dn.example.com.", RR_A, &plain);
	cr_assert_eq(r.cnt[0], 0);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
}

Test(answer, dname_yxdomain)
{
	/* RFC 6672 §2.2: substitution longer than 255 octets: YXDOMAIN */
	char name[300];
	snprintf(name, sizeof name, "%.63s.%.63s.ldn.example.com.",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	ask(name, RR_A, &plain);
	cr_assert_eq(r.rcode, 6);
	cr_assert_eq(count(0, RR_DNAME, NULL), 1);
	cr_assert_eq(count(0, RR_CNAME, NULL), 0);
}

Test(answer, referral)
{
	/* step 3b: NS in authority, glue in additional, AA=0 */
	const char *names[] = { "sub.example.com.", "host.sub.example.com.",
				"ns1.sub.example.com." };
	for (int i = 0; i < 3; i++) {
		ask(names[i], RR_A, &plain);
		cr_assert_eq(r.rcode, 0, "%s", names[i]);
		cr_assert_not(AA(r), "%s", names[i]);
		cr_assert_eq(r.cnt[0], 0);
		cr_assert_eq(count(1, RR_NS, "sub.example.com."), 2);
		cr_assert_eq(count(2, RR_A, "ns1.sub.example.com."), 1);
	}
}

Test(answer, referral_glue_all_or_tc)
{
	/* RFC 9471 §3.1: every in-domain glue record, or TC=1 */
	ask("host.wide.example.com.", RR_A, &plain);
	cr_assert(TC(r), "the glue of wide. does not fit 512 bytes: TC wanted");
	cr_assert_lt(r.len, 513);
	ask("host.wide.example.com.", RR_A, &edns);
	cr_assert_not(TC(r));
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_NS, "wide.example.com."), 10);
	for (int i = 0; i < 10; i++) {
		char ns[64];
		snprintf(ns, sizeof ns, "nameserver-%d.wide.example.com.", i);
		cr_assert_eq(count(2, RR_A, ns), 1, "%s A", ns);
		cr_assert_eq(count(2, RR_AAAA, ns), 1, "%s AAAA", ns);
	}
	/* RFC 9471 §3.2: sibling glue (name servers in another delegation)
	 * is optional: what does not fit is left out, no TC */
	ask("host.far.example.com.", RR_A, &plain);
	cr_assert_not(TC(r));
	cr_assert_eq(count(1, RR_NS, "far.example.com."), 10);
	cr_assert_lt(r.len, 513);
}

Test(answer, ds_at_cut)
{
	/* RFC 4035 §3.1.4.1: DS is answered by the parent, authoritatively */
	ask("secure.example.com.", RR_DS, &plain);
	cr_assert(AA(r));
	cr_assert_eq(count(0, RR_DS, "secure.example.com."), 1);
	ask("sub.example.com.", RR_DS, &plain);
	cr_assert(AA(r));
	cr_assert_eq(r.cnt[0], 0);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
	/* without DO a referral carries no DS (RFC 4035 §3.1.4) */
	ask("secure.example.com.", RR_A, &edns);
	cr_assert_eq(count(1, RR_DS, NULL), 0);
}

Test(answer, wildcard)
{
	/* RFC 4592 §3.3.1: synthesized with the query name as owner */
	ask("Foo.wild.example.com.", RR_A, &plain);
	cr_assert(AA(r));
	cr_assert_eq(r.cnt[0], 1);
	cr_assert_str_eq(r.rr[0][0].owner, "Foo.wild.example.com.");
	ask("a.b.foo.wild.example.com.", RR_A, &plain);
	cr_assert_eq(r.cnt[0], 1);
	/* wildcard NODATA */
	ask("foo.wild.example.com.", RR_MX, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
	/* the parent of the wildcard is an empty non-terminal: NODATA */
	ask("wild.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.cnt[0], 0);
}

Test(answer, wildcard_blocked_by_ent)
{
	/* RFC 4592 §2.2.2: a.b exists (ENT), so *.b does not apply to it or
	 * below it; q.b matches *.b */
	ask("q.b.example.com.", RR_A, &plain);
	cr_assert_eq(r.cnt[0], 1);
	ask("a.b.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.cnt[0], 0);
	ask("z.a.b.example.com.", RR_A, &plain);
	cr_assert_eq(r.rcode, 3);
}

Test(answer, additional_section)
{
	/* RFC 1035 §3.3.9 (MX), RFC 2782 (SRV), RFC 1034 §4.3.2 step 6 (NS) */
	ask("example.com.", RR_MX, &plain);
	cr_assert_eq(count(2, RR_A, "mail.example.com."), 1);
	cr_assert_eq(count(2, RR_AAAA, "mail.example.com."), 1);
	ask("_sip._udp.example.com.", RR_SRV, &plain);
	cr_assert_eq(count(2, RR_A, "sip.example.com."), 1);
	ask("example.com.", RR_NS, &plain);
	cr_assert_eq(count(2, RR_A, "ns1.example.com."), 1);
	cr_assert_eq(r.cnt[1], 0);
}

Test(answer, additional_through_wildcard)
{
	/* RFC 1034 §4.3.2 step 6 with RFC 4592 §3.3.1: an MX/SRV/NS target
	 * that exists only through a wildcard gets the wildcard's addresses,
	 * owned by the target name itself */
	ask("addl.example.com.", RR_MX, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.cnt[0], 5);
	/* RFC 2181 §5.5: once, though two MX records name it */
	cr_assert_eq(count(2, RR_A, "host.wild.example.com."), 1);
	/* RFC 4592 §2.2.2: the empty non-terminal a.b blocks *.b for z.a.b;
	 * RFC 1034 §4.3.3: "delegation cancels the wildcard defaults", so the
	 * occluded *.sub gives foo.sub nothing; a miss gives nothing */
	cr_assert_eq(r.cnt[2], 1, "only host.wild: %u", r.cnt[2]);
	/* additional data needs no denial proof, and none goes in */
	cr_assert_eq(r.cnt[1], 0);
	ask("addl.example.com.", RR_SRV, &plain);
	cr_assert_eq(count(2, RR_A, "srv.wild.example.com."), 1);
	cr_assert_eq(r.cnt[2], 1);
	/* a referral whose name server exists only through a wildcard */
	ask("wsub.example.com.", RR_A, &plain);
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_NS, "wsub.example.com."), 1);
	cr_assert_eq(count(2, RR_A, "ns.wild.example.com."), 1);
}

Test(answer, additional_through_wildcard_dnssec)
{
	/* RFC 4035 §3.1.1: with DO the synthesized addresses come with the
	 * wildcard's RRSIG (labels field 3, RFC 4035 §5.3.2), owned by the
	 * target; no NSEC/NSEC3 for additional data */
	const char *zones[] = { "addl.example.org.", "addl.example.net." };
	for (int i = 0; i < 2; i++) {
		ask(zones[i], RR_MX, &dnssec);
		char host[64];
		snprintf(host, sizeof host, "host.wild.%s", zones[i] + 5);
		cr_assert_eq(count(2, RR_A, host), 1, "%s", host);
		cr_assert_eq(count(2, RR_RRSIG, host), 1, "%s", host);
		const struct rr *sig = NULL;
		for (unsigned k = 0; k < r.cnt[2]; k++)
			if (r.rr[2][k].type == RR_RRSIG && !strcasecmp(r.rr[2][k].owner, host))
				sig = &r.rr[2][k];
		cr_assert_not_null(sig);
		cr_assert_eq(sig->rd[3], 3, "RRSIG labels of *.wild");
		cr_assert_eq(count(1, RR_NSEC, NULL) + count(1, RR_NSEC3, NULL), 0);
	}
}

Test(answer, wildcard_cut)
{
	/* RFC 4592 §4.2 leaves a wildcard owning an NS RRset undefined; as
	 * Knot: a referral to the wildcard itself (the NS owner is "*.wd",
	 * not synthesized), AA=0 (RFC 1034 §4.3.2 step 3b), for every type
	 * but DS */
	static const char *const names[] = { "foo.wd.example.com.", "a.b.foo.wd.example.com.",
					      "*.wd.example.com.", "x.*.wd.example.com." };
	static const uint16_t qt[] = { RR_A, RR_NS, RR_ANY, RR_TXT };
	for (int i = 0; i < 4; i++) {
		ask(names[i], qt[i], &plain);
		cr_assert_eq(r.rcode, 0, "%s", names[i]);
		cr_assert_not(AA(r), "%s", names[i]);
		cr_assert_eq(r.cnt[0], 0, "%s", names[i]);
		cr_assert_eq(r.cnt[1], 1, "%s", names[i]);
		cr_assert_eq(count(1, RR_NS, "*.wd.example.com."), 1, "%s", names[i]);
	}
	/* DS is the parent side's data (RFC 4035 §3.1.4.1): synthesized like
	 * any other type, authoritative: NODATA here, the DS at *.wds */
	ask("foo.wd.example.com.", RR_DS, &plain);
	cr_assert(AA(r));
	cr_assert_eq(r.cnt[0], 0);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
	ask("foo.wds.example.com.", RR_DS, &plain);
	cr_assert(AA(r));
	cr_assert_eq(count(0, RR_DS, "foo.wds.example.com."), 1);
	/* name servers of a wildcard cut: in-zone addresses in additional,
	 * one of them itself through a wildcard */
	ask("foo.wd2.example.com.", RR_A, &plain);
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_NS, "*.wd2.example.com."), 2);
	cr_assert_eq(count(2, RR_A, "ns1.example.com."), 1);
	cr_assert_eq(count(2, RR_A, "ns.wild.example.com."), 1);
	/* a CNAME into it: AA stays for the CNAME (RFC 1034 §4.3.2, as for
	 * any referral after a CNAME), the referral in authority */
	ask("wdalias.example.com.", RR_A, &plain);
	cr_assert(AA(r));
	cr_assert_eq(count(0, RR_CNAME, "wdalias.example.com."), 1);
	cr_assert_eq(count(1, RR_NS, "*.wd.example.com."), 1);
	/* the wildcard's parent is an empty non-terminal, not a cut */
	ask("wd.example.com.", RR_A, &plain);
	cr_assert(AA(r));
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
}

Test(answer, wildcard_cut_dnssec)
{
	/* RFC 4035 §3.1.4: no DS at the wildcard cut, proven as Knot does by
	 * the wildcard's NODATA proof (RFC 4035 §3.1.3.4): the NSEC of *.wd,
	 * which also covers foo.wd */
	ask("foo.wd.wildcut-nsec.example.", RR_A, &dnssec);
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_NS, "*.wd.wildcut-nsec.example."), 1);
	cr_assert_eq(count(1, RR_NSEC, "*.wd.wildcut-nsec.example."), 1);
	cr_assert_eq(count(1, RR_NSEC, NULL), 1);
	cr_assert_eq(count(1, RR_RRSIG, NULL), 1, "the NSEC's; the NS of a cut is unsigned");
	cr_assert_eq(count(1, RR_DS, NULL), 0);
	/* NSEC3 (RFC 5155 §7.2.5): closest encloser wd, next closer foo.wd,
	 * the NSEC3 of *.wd (no DS bit) */
	ask("foo.wd.wildcut-nsec3.example.", RR_A, &dnssec);
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_NS, "*.wd.wildcut-nsec3.example."), 1);
	cr_assert_geq(count(1, RR_NSEC3, NULL), 2);
	cr_assert_leq(count(1, RR_NSEC3, NULL), 3);
	cr_assert_eq(count(1, RR_RRSIG, NULL), count(1, RR_NSEC3, NULL));
	/* a secure wildcard cut: the DS and its RRSIG (RFC 4035 §3.1.4), and
	 * the proof that no closer match exists (RFC 5155 §7.2.6) */
	ask("foo.wds.wildcut-nsec3.example.", RR_A, &dnssec);
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_DS, "*.wds.wildcut-nsec3.example."), 1);
	cr_assert_eq(count(1, RR_RRSIG, "*.wds.wildcut-nsec3.example."), 1);
	cr_assert_eq(count(1, RR_NSEC3, NULL), 1);
	ask("foo.wds.wildcut-nsec.example.", RR_A, &dnssec);
	cr_assert_eq(count(1, RR_DS, "*.wds.wildcut-nsec.example."), 1);
	cr_assert_eq(count(1, RR_NSEC, NULL), 1);
	/* DS asked for: a wildcard answer, synthesized owner, RRSIG */
	ask("foo.wds.wildcut-nsec.example.", RR_DS, &dnssec);
	cr_assert(AA(r));
	cr_assert_eq(count(0, RR_DS, "foo.wds.wildcut-nsec.example."), 1);
	cr_assert_eq(count(0, RR_RRSIG, "foo.wds.wildcut-nsec.example."), 1);
}

Test(answer, refused_not_ours)
{
	/* RFC 1035 §4.1.1 REFUSED; RFC 8914 §4.21 EDE 20 with EDNS */
	ask("example.invalid.", RR_A, &plain);
	cr_assert_eq(r.rcode, 5);
	cr_assert_not(AA(r));
	cr_assert_not(r.opt);
	ask("www.example.test.", RR_A, &edns);
	cr_assert_eq(r.rcode, 5);
	cr_assert(r.opt);
	cr_assert_eq(r.ede, 20);
}

Test(answer, classes)
{
	/* class ANY answered from IN data (as Knot); other classes REFUSED */
	struct dm_qopt o = { .cls = RR_CLASS_ANY };
	ask("www.example.com.", RR_A, &o);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.cnt[0], 2);
	cr_assert_eq(r.rr[0][0].cls, RR_CLASS_IN);
	o.cls = RR_CLASS_HS;
	ask("www.example.com.", RR_A, &o);
	cr_assert_eq(r.rcode, 5);
}

Test(answer, any_query)
{
	/* RFC 8482 §4.2: one RRset of the name */
	ask("www.example.com.", RR_ANY, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_gt(r.cnt[0], 0);
	uint16_t t = r.rr[0][0].type;
	for (unsigned i = 0; i < r.cnt[0]; i++)
		cr_assert_eq(r.rr[0][i].type, t);
}

Test(answer, transfers_and_meta)
{
	/* RFC 5936 §4.2: AXFR not over UDP; transfers are not this engine's */
	ask("example.com.", RR_AXFR, &plain);
	cr_assert_eq(r.rcode, 4);
	struct dm_qopt tcp = { .tcp = true };
	ask("example.com.", RR_AXFR, &tcp);
	cr_assert_eq(r.rcode, 9);
	ask("example.com.", RR_IXFR, &plain);
	cr_assert_eq(r.rcode, 9);
	/* other meta types: NODATA (as Knot) */
	ask("www.example.com.", RR_MAILB, &plain);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
}

/* ---- EDNS ---- */

Test(answer, edns_opt)
{
	/* RFC 6891 §6.1.1, §6.2.3: OPT iff in the query; our payload size */
	struct dm_qopt o = { .edns = true, .payload = 4096 };
	ask("www.example.com.", RR_A, &o);
	cr_assert(r.opt);
	cr_assert_eq(r.opt_size, 1232);
	cr_assert_eq(r.opt_ver, 0);
	cr_assert_not(r.opt_do);
	cr_assert_not(r.opt_nsid, "NSID only when asked (RFC 5001 §2.1)");
	ask("www.example.com.", RR_A, &dnssec);
	cr_assert(r.opt_do, "DO echoed (RFC 3225 §3)");
}

Test(answer, edns_badvers)
{
	/* RFC 6891 §6.1.3: BADVERS (16) with version 0 in our OPT */
	struct dm_qopt o = { .edns = true, .ver = 1 };
	ask("www.example.com.", RR_A, &o);
	cr_assert_eq(r.rcode, 16);
	cr_assert(r.opt);
	cr_assert_eq(r.opt_ver, 0);
	cr_assert_eq(r.cnt[0], 0);
}

Test(answer, nsid)
{
	/* RFC 5001 §2.3: the configured NSID when asked */
	struct dm_qopt o = { .edns = true, .nsid = true };
	ask("www.example.com.", RR_A, &o);
	cr_assert(r.opt_nsid);
	cr_assert_eq(r.cnt[0], 2);
}

Test(answer, truncation)
{
	/* RFC 1035 §4.2.1: 512 without EDNS; TC=1 and, as Knot, no records */
	ask("big.example.com.", RR_TXT, &plain);
	cr_assert(TC(r));
	cr_assert_lt(r.len, 513);
	cr_assert_eq(r.cnt[0] + r.cnt[1] + r.cnt[2], 0);
	/* RFC 6891 §6.2.5: payload below 512 counts as 512 */
	struct dm_qopt small = { .edns = true, .payload = 100 };
	ask("big.example.com.", RR_TXT, &small);
	cr_assert(TC(r));
	cr_assert(r.opt);
	/* EDNS 1232 lets it through */
	ask("big.example.com.", RR_TXT, &edns);
	cr_assert_not(TC(r));
	cr_assert_eq(r.cnt[0], 3);
	/* RFC 7766 §8: TCP has no 512 limit */
	struct dm_qopt tcp = { .tcp = true };
	ask("big.example.com.", RR_TXT, &tcp);
	cr_assert_not(TC(r));
	cr_assert_eq(r.cnt[0], 3);
}

/* ---- CHAOS ---- */

Test(answer, chaos)
{
	/* RFC 4892 §2: server identity in class CH; not authoritative data */
	struct dm_qopt ch = { .cls = RR_CLASS_CH };
	ask("version.bind.", RR_TXT, &ch);
	cr_assert_eq(r.rcode, 0);
	cr_assert_not(AA(r));
	cr_assert_eq(r.cnt[0], 1);
	cr_assert_eq(r.rr[0][0].cls, RR_CLASS_CH);
	cr_assert_eq(r.rr[0][0].rdlen, 7);
	cr_assert_eq(memcmp(r.rr[0][0].rd, "\6v-test", 7), 0);
	ask("ID.SERVER.", RR_TXT, &ch);
	cr_assert_eq(memcmp(r.rr[0][0].rd, "\7id-test", 8), 0);
	ask("hostname.bind.", RR_TXT, &ch);
	cr_assert_eq(r.cnt[0], 1);
	ask("authors.bind.", RR_TXT, &ch);
	cr_assert_eq(r.rcode, 5);
	ask("version.bind.", RR_A, &ch);
	cr_assert_eq(r.rcode, 5);
	/* hidden: REFUSED */
	const char *v = cfg.version;
	cfg.version = NULL;
	ask("version.server.", RR_TXT, &ch);
	cfg.version = v;
	cr_assert_eq(r.rcode, 5);
}

/* ---- DNSSEC ---- */

Test(answer, dnssec_only_with_do)
{
	/* RFC 4035 §3.1: no DNSSEC records without DO; §3.1.1 RRSIGs with DO */
	ask("www.example.org.", RR_A, &edns);
	cr_assert_eq(count(0, RR_RRSIG, NULL), 0);
	ask("www.example.org.", RR_A, &dnssec);
	cr_assert_eq(count(0, RR_A, NULL), 2);
	cr_assert_eq(count(0, RR_RRSIG, NULL), 1);
	ask("nope.example.org.", RR_A, &edns);
	cr_assert_eq(count(1, RR_NSEC, NULL), 0);
}

Test(answer, nsec_nxdomain)
{
	/* RFC 4035 §3.1.3.2: NSEC covering the name and the wildcard */
	ask("nope.example.org.", RR_A, &dnssec);
	cr_assert_eq(r.rcode, 3);
	cr_assert_eq(count(1, RR_SOA, NULL), 1);
	cr_assert_geq(count(1, RR_NSEC, NULL), 1);
	cr_assert_leq(count(1, RR_NSEC, NULL), 2);
	cr_assert_eq(count(1, RR_RRSIG, NULL), 1 + count(1, RR_NSEC, NULL));
}

Test(answer, nsec_nodata)
{
	/* RFC 4035 §3.1.3.1: the NSEC of the name */
	ask("www.example.org.", RR_MX, &dnssec);
	cr_assert_eq(count(1, RR_NSEC, "www.example.org."), 1);
}

Test(answer, nsec_wildcard)
{
	/* RFC 4035 §3.1.3.3: wildcard answer with an NSEC for no closer match */
	ask("foo.wild.example.org.", RR_A, &dnssec);
	cr_assert_eq(count(0, RR_A, "foo.wild.example.org."), 1);
	cr_assert_eq(count(0, RR_RRSIG, "foo.wild.example.org."), 1);
	cr_assert_eq(count(1, RR_NSEC, NULL), 1);
}

Test(answer, nsec_insecure_referral)
{
	/* RFC 4035 §3.1.4: NSEC of the cut proves no DS */
	ask("sub.example.org.", RR_A, &dnssec);
	cr_assert_not(AA(r));
	cr_assert_eq(count(1, RR_NSEC, "sub.example.org."), 1);
	ask("secure.example.org.", RR_A, &dnssec);
	cr_assert_eq(count(1, RR_DS, "secure.example.org."), 1);
	cr_assert_eq(count(1, RR_RRSIG, "secure.example.org."), 1);
}

Test(answer, nsec3_nxdomain)
{
	/* RFC 5155 §7.2.2: closest encloser, next closer, wildcard */
	ask("nope.example.net.", RR_A, &dnssec);
	cr_assert_eq(r.rcode, 3);
	cr_assert_geq(count(1, RR_NSEC3, NULL), 2);
	cr_assert_leq(count(1, RR_NSEC3, NULL), 3);
	/* NODATA: the matching NSEC3 (§7.2.3) */
	ask("www.example.net.", RR_MX, &dnssec);
	cr_assert_eq(count(1, RR_NSEC3, NULL), 1);
	/* the NSEC3PARAM answer (RFC 5155 §4) */
	ask("example.net.", RR_NSEC3PARAM, &dnssec);
	cr_assert_eq(count(0, RR_NSEC3PARAM, NULL), 1);
}

/* ---- robustness ---- */

Test(answer, mutated_queries)
{
	/* never a read past the buffer, never a response over the limit:
	 * byte flips and truncations of valid queries (run under ASan) */
	static const char *names[] = { "www.example.com.", "foo.wild.example.org.",
				       "nope.example.net.", "sub.example.com." };
	uint8_t q[600], m[600];
	unsigned seed = 12345;
	for (int i = 0; i < 20000; i++) {
		struct dm_qopt o = { .edns = i & 1, .do_bit = i & 2, .nsid = i & 4 };
		size_t ql = dm_query(q, sizeof q, names[i % 4], (uint16_t)(i % 7 ? RR_A : RR_ANY), &o);
		memcpy(m, q, ql);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % ql] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		}
		seed = seed * 1103515245u + 12345u;
		size_t len = (i % 5 == 0) ? (seed >> 8) % (ql + 1) : ql;
		uint8_t *copy = malloc(len ? len : 1);	/* exact size for ASan */
		memcpy(copy, m, len);
		struct ans_req req = { .q = copy, .qlen = len };
		size_t n = ans_respond(root, &cfg, &req, out, 1232, NULL);
		free(copy);
		cr_assert_leq(n, 1232);
		if (n)
			cr_assert_geq(n, 12);
	}
}

/* ---- the header against a hostile client ---- */

/* RFC 1035 §4.1.1 and RFC 4035 §3.1.6: whatever bits a query sets (CD, AD,
 * Z, RA, TC, AA, RD), with DO or without, on every outcome, the response
 * has QR set, OPCODE and RD copied, CD copied, AA only when the answer is
 * authoritative, TC clear (all of these fit), and RA, Z and AD clear (an
 * authoritative server that does not validate sets AD only per §3.2.3);
 * and the fast paths write what the general path writes. */
Test(answer, header_flags_hostile)
{
	static const struct {
		const char *spec;
		unsigned rcode;
		bool aa;
	} cases[] = {
		{ "www.example.com. A", 0, true },		/* hit */
		{ "nope.example.com. A", 3, true },		/* NXDOMAIN, fast path */
		{ "www.example.com. MX", 0, true },		/* NODATA */
		{ "host.sub.example.com. A", 0, false },	/* referral */
		{ "www.example.org. A", 0, true },		/* signed hit */
		{ "nope.example.net. A", 3, true },		/* signed NXDOMAIN */
		{ "www.example.com. A +twoopt", 1, false },	/* FORMERR */
		{ "www.example.com. A +noqd", 1, false },
		{ "www.example.com. A +opcode=2", 4, false },	/* NOTIMP */
		{ "www.example.test. A", 5, false },		/* REFUSED */
		{ "version.bind. TXT +class=CH", 0, false },	/* CHAOS */
		{ "www.example.com. A +ednsver=1", 16, false },	/* BADVERS */
	};
	static const char *const bits[] = { "", "+cd", "+ad", "+z", "+ra", "+tc", "+aa", "+rd",
					    "+rd +cd +ad +z +ra +tc +aa" };
	struct ans_cfg gen = cfg;
	gen.general_only = true;
	static uint8_t o2[65536];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t b = 0; b < sizeof bits / sizeof bits[0]; b++)
			for (int d = 0; d < 2; d++) {
				char spec[256];
				snprintf(spec, sizeof spec, "%s %s%s", cases[i].spec, bits[b],
					 d ? " +do" : "");
				uint8_t q[600];
				size_t ql = dm_query_text(q, sizeof q, spec, false);
				struct ans_req req = { .q = q, .qlen = ql, .tcp = false };
				size_t n = ans_respond(root, &cfg, &req, out, 1232, NULL);
				size_t n2 = ans_respond(root, &gen, &req, o2, 1232, NULL);
				cr_assert_geq(n, 12, "%s", spec);
				cr_assert(n == n2 && memcmp(out, o2, n) == 0,
					  "%s: the fast path differs from the general path", spec);
				bool rd = strstr(spec, "+rd") != NULL;
				bool cd = strstr(spec, "+cd") != NULL;
				unsigned opcode = strstr(spec, "+opcode=2") ? 2 : 0;
				uint8_t f1 = (uint8_t)(0x80 | opcode << 3 | (cases[i].aa ? 0x04 : 0) |
						       (rd ? 0x01 : 0));
				uint8_t f2 = (uint8_t)((cd ? 0x10 : 0) | (cases[i].rcode & 15));
				cr_assert_eq(out[2], f1, "%s: flags %02x %02x, want %02x %02x", spec,
					     out[2], out[3], f1, f2);
				cr_assert_eq(out[3], f2, "%s: flags %02x %02x, want %02x %02x", spec,
					     out[2], out[3], f1, f2);
			}
}

/* RFC 6891 §7: a query without a question but with a well-formed OPT
 * gets FORMERR with an OPT (DO echoed), as Knot answers; a malformed OPT
 * (two of them) gets none. */
Test(answer, formerr_opt)
{
	uint8_t q[600];
	size_t ql = dm_query_text(q, sizeof q, "www.example.com. A +noqd +do", false);
	struct ans_req req = { .q = q, .qlen = ql, .tcp = false };
	size_t n = ans_respond(root, &cfg, &req, out, 1232, NULL);
	cr_assert_eq(n, 12u + 11u);
	cr_assert_eq(out[3] & 15, 1);
	cr_assert_eq(out[11], 1, "ARCOUNT: the OPT");
	cr_assert_eq(out[12 + 7], 0x80, "DO echoed");
	ql = dm_query_text(q, sizeof q, "www.example.com. A +twoopt", false);
	req.qlen = ql;
	n = ans_respond(root, &cfg, &req, out, 1232, NULL);
	cr_assert_eq(out[3] & 15, 1);
	cr_assert_eq(out[11], 0, "no OPT for a malformed one");
}

/* One query of an outcome test, and what the engine reported for it
 * answered alone (one) and in a burst of all of them (burst). */
struct oc_case {
	const char *name;
	uint16_t type, cls;
	bool do_bit, wild;
	struct ans_outcome one, burst;
};

#define OC_MAX 8

/* Answers every case alone and then all in one burst. */
static void outcomes(struct oc_case *c, size_t n)
{
	uint8_t q[OC_MAX][600], o1[OC_MAX][1232], ob[OC_MAX][1232];
	struct ans_req reqs[OC_MAX];
	uint8_t *outs[OC_MAX];
	size_t caps[OC_MAX], lens[OC_MAX];
	struct ans_outcome ocb[OC_MAX];
	cr_assert_leq(n, OC_MAX);
	for (size_t i = 0; i < n; i++) {
		struct dm_qopt o = { .cls = c[i].cls, .edns = c[i].do_bit, .do_bit = c[i].do_bit };
		reqs[i] = (struct ans_req){ .q = q[i], .qlen = dm_query(q[i], sizeof q[i], c[i].name,
									c[i].type, &o) };
		cr_assert_gt(ans_respond(root, &cfg, &reqs[i], o1[i], sizeof o1[i], &c[i].one), 0);
		outs[i] = ob[i];
		caps[i] = sizeof ob[i];
	}
	ans_respond_burst(root, &cfg, reqs, n, outs, caps, lens, ocb);
	for (size_t i = 0; i < n; i++)
		c[i].burst = ocb[i];
}

/* The outcome names the zone's counter slot (snap_slot) on every path:
 * a hit, NXDOMAIN, NODATA, the general path (ANY), and slot 0 for a name
 * of no zone or class CH; a burst gives what one query at a time gives. */
Test(answer, outcome_zone_slot)
{
	for (size_t i = 0; i < sv.n; i++)
		snap_set_slot(sv.snaps[i], (uint32_t)(10 + i));
	struct oc_case c[] = {
		{ .name = "www.example.com.", .type = RR_A },
		{ .name = "nope.example.com.", .type = RR_A },
		{ .name = "www.example.com.", .type = RR_MX },
		{ .name = "www.example.com.", .type = RR_ANY },
		{ .name = "example.com.", .type = RR_SOA },
		{ .name = "example.invalid.", .type = RR_A },
		{ .name = "id.server.", .type = RR_TXT, .cls = RR_CLASS_CH },
	};
	size_t n = sizeof c / sizeof *c;
	outcomes(c, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t wire[DNAME_MAX];
		cr_assert_geq(dname_from_text(wire, c[i].name, strlen(c[i].name), NULL), 0);
		const struct snap *z = c[i].cls ? NULL : zidx_find(root, wire);
		cr_assert_eq(c[i].one.zslot, z ? snap_slot(z) : 0, "%s: slot %u", c[i].name,
			     c[i].one.zslot);
		cr_assert_eq(c[i].burst.zslot, c[i].one.zslot, "%s", c[i].name);
	}
	cr_assert_geq(c[0].one.zslot, 10, "www.example.com. is in a zone");
	/* paths taken, so that each kind above is covered */
	cr_assert_eq(c[0].one.path, ANS_PATH_HIT);
	cr_assert_eq(c[1].one.path, ANS_PATH_NX);
	cr_assert_eq(c[3].one.path, ANS_PATH_FULL);
}

/* The outcome says when an answer came from a wildcard (rate limiting
 * pools those), on the general path and on the NSEC and NSEC3 fast
 * paths, single and burst alike; a wildcard NODATA and a plain hit are
 * not wildcard answers. */
Test(answer, outcome_wildcard)
{
	struct oc_case c[] = {
		{ .name = "a1.wild.example.com.", .type = RR_A, .wild = true },
		{ .name = "a2.wild.example.org.", .type = RR_A, .do_bit = true, .wild = true },
		{ .name = "a3.wild.example.net.", .type = RR_A, .do_bit = true, .wild = true },
		{ .name = "a4.wild.example.net.", .type = RR_TXT, .wild = true },
		{ .name = "a5.wild.example.com.", .type = RR_MX },
		{ .name = "www.example.com.", .type = RR_A },
		{ .name = "www.example.net.", .type = RR_A, .do_bit = true },
	};
	size_t n = sizeof c / sizeof *c;
	outcomes(c, n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(c[i].one.wild, c[i].wild, "%s: wild %d", c[i].name, c[i].one.wild);
		cr_assert_eq(c[i].burst.wild, c[i].wild, "%s", c[i].name);
	}
	cr_assert_neq(c[2].one.path, ANS_PATH_FULL, "the NSEC3 wildcard answer takes a fast path");
}
