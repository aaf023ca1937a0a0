/*
 * test_burst.c - ans_respond_burst (dataplane/burst.c) must give byte for
 * byte what the general path (ans_cfg.general_only) gives for each query
 * alone: the pipeline only prefetches and hands over the first probe, and
 * its fast paths for exact matches
 * (fast_hit: plain RDATA, pre-encoded answers) and NXDOMAIN (fast_nx)
 * write what the general path writes.  Hundreds of varied queries (hits,
 * misses, CNAME, DNAME, referrals, wildcards, DO on NSEC/NSEC3 zones, EDNS
 * options, CHAOS, other classes, 0x20 case, a compression pointer in the
 * question, malformed and truncated ones) in bursts of several sizes.  Also
 * zidx_find_q (query-parser facts) against zidx_find with few and with many
 * zones (the linear and the hashed paths).
 *
 * With the queries of the golden scenarios and of the knotd differential
 * test (the TLD-shaped zone's mix included) added to the set: every response written over its own query (in
 * place, as the DPDK path answers) is the response written into another
 * buffer, single and burst, under the UDP and the TCP limits; and every
 * query's outcome (struct ans_outcome) agrees with its response bytes.
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
#include "tests/dnsmsg.h"
#include "tests/zt.h"

static const char small_zone[] =
	"$TTL 300\n"
	"@	SOA	ns hostmaster 1 7200 3600 1209600 60\n"
	"@	NS	ns\n"
	"ns	A	192.0.2.1\n"
	"www	A	192.0.2.2\n";

/* Referral shapes for the pre-encoded fragments (zones/frag.h): in-zone
 * and outside targets, glue, sibling glue, a cut below an empty
 * non-terminal, a cut of many labels (the writer's table fills up). */
#define LONGCUT "c1.c2.c3.c4.c5.c6.c7.c8.c9.c10.c11.c12.c13.c14.c15.c16.c17.c18.c19.c20." \
	"c21.c22.c23.c24.c25.c26.c27.c28.c29.c30.c31.c32.c33.c34.c35.c36.c37.c38.c39.c40." \
	"c41.c42.c43.c44"
static const char frag_zone[] =
	"$TTL 300\n"
	"@	SOA	ns.nic hostmaster.nic 1 7200 3600 1209600 60\n"
	"@	NS	ns.nic\n"
	"ns.nic	A	192.0.2.1\n"
	"lame	NS	ns.nic\n"
	"lame	NS	ns.gone.example.\n"
	"glued	NS	ns1.glued\n"
	"glued	NS	NS2.glued\n"
	"glued	NS	ns.elsewhere.example.\n"
	"ns1.glued	A	192.0.2.5\n"
	"ns1.glued	AAAA	2001:db8::5\n"
	"ns2.glued	AAAA	2001:db8::6\n"
	"sib	NS	ns1.glued\n"
	"sib	NS	ns1.sib\n"
	"ns1.sib	A	192.0.2.9\n"
	"ns.ent.x	A	192.0.2.7\n"
	"ent.x	NS	ns.ent.x\n"
	LONGCUT "	NS	ns." LONGCUT "\n"
	"ns." LONGCUT "	A	192.0.2.8\n";

static struct zt_serve sv;
static struct zidx *root;

static void add_zone(const char *origin, const char *text, const char *file)
{
	char err[16384];
	cr_assert_eq(zt_serve_add(&sv, origin, text, file, err, sizeof err), 0, "%s", err);
}

static void setup(void)
{
	char err[16384];
	sv.n = 0;
	cr_assert_eq(zt_serve_answer_zones(&sv, getenv("SRCDIR"), err, sizeof err), 0, "%s", err);
	/* a child zone of example.com (longest match) */
	add_zone("deep.sub.example.com.", small_zone, NULL);
	add_zone("frag.test.", frag_zone, NULL);
	root = zidx_new(sv.snaps, sv.n);
	cr_assert_not_null(root);
}

static void teardown(void)
{
	zidx_free(root);
	zt_serve_free(&sv);
}

TestSuite(burst, .init = setup, .fini = teardown);

static const struct ans_cfg cfg = {
	.max_udp = 1232,
	.nsid = "ns-test",
	.nsid_len = 7,
	.identity = "id-test",
	.version = "v-test",
};

/* ---- query set ---- */

#define QMAX 600
#define NQ 3000

struct qs {
	uint8_t q[NQ][QMAX];
	size_t len[NQ];
	bool tcp[NQ];
	size_t n;
};

static struct qs qs;


static void add(const uint8_t *q, size_t len, bool tcp)
{
	cr_assert_lt(qs.n, NQ);
	memcpy(qs.q[qs.n], q, len);
	qs.len[qs.n] = len;
	qs.tcp[qs.n++] = tcp;
}

static const char *const names[] = {
	"www.example.com.", "WwW.ExAmPlE.cOm.", "example.com.", "EXAMPLE.COM.",
	"mail.example.com.", "nope.example.com.", "a.b.c.nope.example.com.",
	"alias.example.com.", "ext.example.com.", "loop1.example.com.",
	"foo.wild.example.com.", "x.y.wild.example.com.", "a.b.example.com.",
	"x.a.b.example.com.", "sub.example.com.", "host.sub.example.com.",
	"ns1.sub.example.com.", "secure.example.com.", "a.secure.example.com.",
	"x.dn.example.com.", "dn.example.com.", "_sip._udp.example.com.",
	"big.example.com.", "deep.sub.example.com.", "www.deep.sub.example.com.",
	"nx.deep.sub.example.com.", "example.org.", "www.example.org.",
	"nx.example.org.", "foo.wild.example.org.", "example.net.",
	"www.example.net.", "nope.example.net.", "foo.wild.example.net.",
	"example.test.", ".", "com.", "version.bind.", "id.server.",
	/* targets through wildcards; wildcard cuts (RFC 4592 §4.2) */
	"addl.example.com.", "wsub.example.com.", "foo.wd.example.com.",
	"a.foo.wd.example.com.", "foo.wd2.example.com.", "foo.wds.example.com.",
	"wdalias.example.com.", "*.wd.example.com.", "addl.example.org.", "addl.example.net.",
	"foo.wd.wildcut-nsec.example.", "foo.wds.wildcut-nsec3.example.",
	/* NXDOMAIN below an existing name (a CNAME owner too), two labels
	 * below the apex with the parent absent (fast_nx) */
	"nx.www.example.com.", "nx.alias.example.com.", "nx.nope.example.com.",
	"nx.www.example.org.", "nx.nope.example.net.",
	/* referrals from fragments */
	"ns1.lame.frag.test.", "NS1.LAME.frag.test.", "x.lame.frag.test.", "lame.frag.test.",
	"www.glued.frag.test.", "ns1.glued.frag.test.", "nS2.GlUeD.frag.test.",
	"www.sib.frag.test.", "ns1.sib.frag.test.", "ent.x.frag.test.", "w.ent.x.frag.test.",
	"www." LONGCUT ".frag.test.", LONGCUT ".frag.test.", "nx.nic.frag.test.",
	"www.dsub.example.net.", "www.secure.example.net.", "dsub.example.org.",
	/* NSEC denial on fast paths: owners compressed against the SOA's
	 * names (ns1 is MNAME), the apex, the chain's end; case; wildcards */
	"ns1a.example.org.", "HOSTMASTER.example.org.", "0.example.org.", "zzzz.example.org.",
	"Nx.WWW.Example.ORG.", "ns0.example.org.", "x.b.example.org.", "ZZ.b.example.org.",
	"x.nx.www.example.org.", "mail0.wildcut-nsec.example.", "x.wd.wildcut-nsec.example.",
};

/* Pairs the loop above may not make: every additional-section and
 * wildcard-cut shape, with and without DO. */
static const struct {
	const char *name;
	uint16_t type;
} pairs[] = {
	{ "addl.example.com.", RR_MX }, { "addl.example.com.", RR_SRV },
	{ "wsub.example.com.", RR_A }, { "foo.wd.example.com.", RR_A },
	{ "foo.wd.example.com.", RR_DS }, { "foo.wd2.example.com.", RR_A },
	{ "foo.wds.example.com.", RR_DS }, { "wdalias.example.com.", RR_A },
	{ "x.*.wd.example.com.", RR_A }, { "addl.example.org.", RR_MX },
	{ "addl.example.org.", RR_SRV }, { "dsub.example.org.", RR_A },
	{ "addl.example.net.", RR_MX }, { "dsub.example.net.", RR_A },
	{ "foo.wd.wildcut-nsec.example.", RR_A }, { "foo.wd.wildcut-nsec3.example.", RR_A },
	{ "foo.wds.wildcut-nsec.example.", RR_A }, { "foo.wds.wildcut-nsec3.example.", RR_DS },
	{ "a.b.foo.wd.wildcut-nsec3.example.", RR_A }, { "mx.wildcut-nsec.example.", RR_MX },
	{ "mx.wildcut-nsec3.example.", RR_MX }, { "foo.wd2.wildcut-nsec3.example.", RR_A },
	{ "alias.wildcut-nsec.example.", RR_A },
};

static const uint16_t types[] = { RR_A, RR_AAAA, RR_MX, RR_NS, RR_TXT, RR_ANY, RR_SOA,
				  RR_DS, RR_RRSIG, RR_CNAME, RR_AXFR, RR_NSEC3PARAM };

static void build(void)
{
	qs.n = 0;
	uint8_t q[QMAX];
	unsigned seed = 4242;
	size_t nn = sizeof names / sizeof names[0], nt = sizeof types / sizeof types[0];
	for (size_t i = 0; i < nn * nt; i++) {
		const char *name = names[i % nn];
		uint16_t type = types[(i / nn + i) % nt];
		struct dm_qopt o = { .edns = (i % 3) != 0, .do_bit = (i % 3) == 2,
				  .nsid = (i % 7) == 0, .f1 = (i & 8) ? 0x01 : 0,
				  .f2 = (i & 16) ? 0x10 : 0 };
		if (i % 11 == 0)
			o.payload = 512;
		if (i % 13 == 0)
			o.cls = RR_CLASS_ANY;
		if (!strcmp(name, "version.bind.") || !strcmp(name, "id.server.")) {
			o.cls = RR_CLASS_CH;
			type = RR_TXT;
		}
		size_t l = dm_query(q, sizeof q, name, type, &o);
		add(q, l, (i % 17) == 0);
	}
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		for (int d = 0; d < 3; d++) {
			struct dm_qopt o = { .edns = d > 0, .do_bit = d == 2 };
			add(q, dm_query(q, sizeof q, pairs[i].name, pairs[i].type, &o), false);
		}
	/* other classes, opcodes, EDNS versions */
	struct dm_qopt o1 = { .cls = 3 }, o2 = { .f1 = 2 << 3 }, o3 = { .edns = true, .ver = 1 };
	add(q, dm_query(q, sizeof q, "www.example.com.", RR_A, &o1), false);
	add(q, dm_query(q, sizeof q, "www.example.com.", RR_A, &o2), false);
	add(q, dm_query(q, sizeof q, "www.example.com.", RR_A, &o3), false);
	/* malformed and truncated: byte flips and cuts of valid queries */
	size_t base = qs.n;
	for (size_t i = 0; i < 400 && qs.n < NQ; i++) {
		uint8_t m[QMAX];
		size_t k = (i * 7) % base, ql = qs.len[k];
		memcpy(m, qs.q[k], ql);
		for (int f = 0; f < 1 + (int)(i % 3); f++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % ql] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		}
		seed = seed * 1103515245u + 12345u;
		if (i % 4 == 0)
			ql = (seed >> 8) % (ql + 1);
		add(m, ql, false);
	}
	cr_assert_gt(qs.n, 500);
}

/* Adds the query of every spec in file (lines "query SPEC" when prefix is
 * "query ", else every line not a comment). */
static void add_specs(const char *file, const char *prefix)
{
	char path[4096], line[600];
	snprintf(path, sizeof path, "%s/%s", getenv("SRCDIR"), file);
	FILE *in = fopen(path, "r");
	cr_assert_not_null(in, "%s", path);
	size_t pl = strlen(prefix);
	while (fgets(line, sizeof line, in)) {
		line[strcspn(line, "\r\n")] = 0;
		const char *spec = line + strspn(line, " \t");
		if (!*spec || *spec == '#' || strncmp(spec, prefix, pl) != 0)
			continue;
		spec += pl;
		struct dm_q d;
		char err[600];
		cr_assert_eq(dm_q_parse(spec, &d, err, sizeof err), 0, "%s: %s", path, err);
		uint8_t q[QMAX];
		size_t l = dm_q_build(&d, q, sizeof q);
		cr_assert_gt(l, 0, "%s", spec);
		add(q, l, d.tcp);
	}
	fclose(in);
}

/* The burst test's set, then the golden scenarios' and the knotd
 * differential test's queries. */
static void build_all(void)
{
	build();
	static const char *const golden[] = { "plain", "nsec", "wildcut" };
	char file[64];
	for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
		snprintf(file, sizeof file, "tests/golden/%s.txt", golden[i]);
		add_specs(file, "query ");
	}
	add_specs("tests/data/answer/queries.txt", "");
	add_specs("tests/data/answer/tld-mix.txt", "");
}

static uint8_t ref[NQ][2048], got[NQ][2048];
static size_t reflen[NQ], gotlen[NQ];

static void compare(size_t bsz, size_t cap)
{
	/* the reference: every query on the general path, what the fast
	 * paths must write byte for byte */
	struct ans_cfg cfg_general = cfg;
	cfg_general.general_only = true;
	for (size_t i = 0; i < qs.n; i++) {
		struct ans_req req = { .q = qs.q[i], .qlen = qs.len[i], .tcp = qs.tcp[i] };
		reflen[i] = ans_respond(root, &cfg_general, &req, ref[i], cap, NULL);
	}
	memset(got, 0xee, sizeof got);
	for (size_t i = 0; i < qs.n; i += bsz) {
		size_t m = qs.n - i < bsz ? qs.n - i : bsz;
		struct ans_req reqs[200];
		uint8_t *outs[200];
		size_t caps[200];
		for (size_t j = 0; j < m; j++) {
			reqs[j] = (struct ans_req){ .q = qs.q[i + j], .qlen = qs.len[i + j], .tcp = qs.tcp[i + j] };
			outs[j] = got[i + j];
			/* a buffer too small to answer into, now and then */
			caps[j] = (i + j) % 97 == 5 ? 100 : cap;
		}
		struct ans_outcome ocs[200];
		ans_respond_burst(root, &cfg, reqs, m, outs, caps, gotlen + i, ocs);
	}
	size_t nonzero = 0;
	for (size_t i = 0; i < qs.n; i++) {
		size_t want = i % 97 == 5 ? 0 : reflen[i];
		cr_assert_eq(gotlen[i], want, "query %zu (burst %zu): length %zu, single %zu", i,
			     bsz, gotlen[i], want);
		cr_assert(memcmp(got[i], ref[i], want) == 0, "query %zu (burst %zu): bytes differ",
			  i, bsz);
		nonzero += want != 0;
	}
	cr_assert_gt(nonzero, qs.n / 2);
}

Test(burst, identical_to_single)
{
	build();
	static const size_t sizes[] = { 1, 2, 7, 16, 32, 63, 64, 65, 150 };
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
		compare(sizes[k], 2048);
	compare(32, 512);
}

Test(burst, question_pointer)
{
	/* RFC 1035 §4.1.4: a pointer in the question name takes the parser's
	 * slow path (dname_unpack, then hash and labels in a second pass).
	 * "www" then a pointer to offset 11 (the low byte of ARCOUNT, 0: the
	 * root label) is the name "www."; a pointer back to the name itself
	 * loops until too long (FORMERR). */
	uint8_t q1[] = { 0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			 3, 'w', 'w', 'w', 0xc0, 11, 0, 1, 0, 1 };
	uint8_t q2[] = { 0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			 3, 'w', 'w', 'w', 0xc0, 12, 0, 1, 0, 1 };
	struct ans_req reqs[2] = { { .q = q1, .qlen = sizeof q1, .tcp = false },
				   { .q = q2, .qlen = sizeof q2, .tcp = false } };
	uint8_t o1[600], o2[600], *outs[2] = { o1, o2 };
	size_t caps[2] = { 600, 600 }, lens[2];
	struct ans_outcome ocs[2];
	ans_respond_burst(root, &cfg, reqs, 2, outs, caps, lens, ocs);
	for (int i = 0; i < 2; i++) {
		uint8_t r[600];
		size_t rl = ans_respond(root, &cfg, &reqs[i], r, 600, NULL);
		cr_assert_geq(rl, 12);
		cr_assert_eq(lens[i], rl);
		cr_assert(memcmp(outs[i], r, rl) == 0);
		cr_assert_eq(r[3] & 15, i == 0 ? 5 : 1, "rcode %d", r[3] & 15);
	}
}

/* zidx_find_q with the parser's facts equals zidx_find, for few zones
 * (the apex scan) and for many (the hash). */
static void zidx_check(const struct zidx *ix)
{
	static const char *const probe[] = {
		"www.example.com.", "WWW.EXAMPLE.COM.", "example.com.", "com.", ".",
		"deep.sub.example.com.", "x.DEEP.sub.example.com.", "sub.example.com.",
		"a.b.c.d.e.f.example.org.", "example.net.", "xexample.com.",
		"a.example.test.", "z9.", "a.z9.", "b.a.z9.", "q.b.a.z9.",
	};
	for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
		uint8_t n[DNAME_MAX], lo[DNAME_LABELS_MAX];
		int l = dname_from_text(n, probe[i], strlen(probe[i]), NULL);
		cr_assert_gt(l, 0);
		unsigned nl = 0;
		for (size_t o = 0; n[o]; o += n[o] + 1u)
			lo[nl++] = (uint8_t)o;
		cr_assert_eq(zidx_find_q(ix, n, (size_t)l, lo, nl, dname_hash(n)),
			     zidx_find(ix, n), "%s", probe[i]);
	}
	/* a label holding bytes that look like the apex must not match */
	uint8_t odd[] = { 13, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
			  3, 'n', 'e', 't', 0 };
	uint8_t lo[2] = { 0, 14 };
	cr_assert_eq(zidx_find_q(ix, odd, sizeof odd, lo, 2, dname_hash(odd)),
		     zidx_find(ix, odd));
}

Test(burst, zidx_paths)
{
	zidx_check(root);
	/* more zones than the linear scan takes */
	static const char *const more[] = { "z1.", "z2.", "z3.", "z4.", "z5.", "z6.",
					     "a.z9.", "z9.", "b.a.z9.", "." };
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		add_zone(more[i], small_zone, NULL);
	struct zidx *big = zidx_new(sv.snaps, sv.n);
	cr_assert_not_null(big);
	zidx_check(big);
	/* and answers through it, burst against single */
	struct zidx *saved = root;
	root = big;
	build();
	compare(32, 2048);
	root = saved;
	zidx_free(big);
}

/* ---- in place, and outcomes ---- */

static uint8_t big[ANS_BURST_MAX][65536];
static struct ans_outcome refoc[NQ];

/* Each query answered into its own buffer (single), then over itself,
 * single and in bursts of bsz: the same bytes and outcomes.  cap 65535
 * gives TCP queries their full limit. */
static void in_place(size_t bsz, size_t cap)
{
	for (size_t i = 0; i < qs.n; i++) {
		struct ans_req req = { .q = qs.q[i], .qlen = qs.len[i], .tcp = qs.tcp[i] };
		reflen[i] = ans_respond(root, &cfg, &req, big[0], cap, &refoc[i]);
		memcpy(ref[i], big[0], reflen[i] < sizeof ref[i] ? reflen[i] : sizeof ref[i]);
		cr_assert_leq(reflen[i], sizeof ref[i], "query %zu: %zu octets", i, reflen[i]);
		/* single, in place */
		memset(big[1], 0xee, cap);
		memcpy(big[1], qs.q[i], qs.len[i]);
		struct ans_req ip = { .q = big[1], .qlen = qs.len[i], .tcp = qs.tcp[i] };
		struct ans_outcome oc;
		size_t n = ans_respond(root, &cfg, &ip, big[1], cap, &oc);
		cr_assert_eq(n, reflen[i], "query %zu in place: length %zu, not %zu", i, n,
			     reflen[i]);
		cr_assert(memcmp(big[1], ref[i], n) == 0, "query %zu in place: bytes differ", i);
		cr_assert(memcmp(&oc, &refoc[i], sizeof oc) == 0, "query %zu in place: outcome", i);
	}
	for (size_t i = 0; i < qs.n; i += bsz) {
		size_t m = qs.n - i < bsz ? qs.n - i : bsz;
		struct ans_req reqs[ANS_BURST_MAX];
		uint8_t *outs[ANS_BURST_MAX];
		size_t caps[ANS_BURST_MAX], lens[ANS_BURST_MAX];
		struct ans_outcome ocs[ANS_BURST_MAX];
		for (size_t j = 0; j < m; j++) {
			memset(big[j], 0xee, cap);
			memcpy(big[j], qs.q[i + j], qs.len[i + j]);
			reqs[j] = (struct ans_req){ .q = big[j], .qlen = qs.len[i + j], .tcp = qs.tcp[i + j] };
			outs[j] = big[j];
			caps[j] = cap;
		}
		ans_respond_burst(root, &cfg, reqs, m, outs, caps, lens, ocs);
		for (size_t j = 0; j < m; j++) {
			size_t k = i + j;
			cr_assert_eq(lens[j], reflen[k], "query %zu in place (burst %zu): length %zu, not %zu",
				     k, bsz, lens[j], reflen[k]);
			cr_assert(memcmp(big[j], ref[k], lens[j]) == 0,
				  "query %zu in place (burst %zu): bytes differ", k, bsz);
			cr_assert(memcmp(&ocs[j], &refoc[k], sizeof ocs[j]) == 0,
				  "query %zu in place (burst %zu): outcome differs", k, bsz);
		}
	}
}

Test(burst, in_place_identical)
{
	build_all();
	in_place(1, 512);
	in_place(32, 512);
	in_place(ANS_BURST_MAX, 1232);
	in_place(32, 65535);
}

/* The outcome says what the response says: dropped exactly when there is
 * none; else the RCODE of the header and OPT (RFC 6891 §6.1.3), the TC
 * bit, and the question's type (0 when the response has no question). */
static void outcome_agrees(size_t i, const struct ans_outcome *oc, const uint8_t *msg,
			   size_t len)
{
	cr_assert_eq(oc->dropped, len == 0, "query %zu: dropped %d, length %zu", i, oc->dropped,
		     len);
	if (len == 0) {
		cr_assert_eq(oc->path, ANS_PATH_NONE, "query %zu", i);
		return;
	}
	struct dm_resp r;
	dm_parse(msg, len, &r);
	cr_assert(r.ok, "query %zu: %s", i, r.err);
	cr_assert_eq(oc->rcode, r.rcode, "query %zu: outcome rcode %u, response %u", i, oc->rcode,
		     r.rcode);
	cr_assert_eq(oc->tc, r.tc, "query %zu: outcome tc %d", i, oc->tc);
	cr_assert_eq(oc->qtype, r.qdcount ? r.qtype : 0, "query %zu: outcome qtype %u", i,
		     oc->qtype);
	cr_assert(oc->path > ANS_PATH_NONE && oc->path < ANS_PATH_COUNT, "query %zu", i);
	if (oc->path == ANS_PATH_HIT)
		cr_assert(r.aa && r.rcode == 0, "query %zu: a fast hit must be an answer", i);
	if (oc->path == ANS_PATH_NX)
		cr_assert(r.aa && r.rcode == 3, "query %zu: fast NX must be NXDOMAIN", i);
	dm_resp_free(&r);
}

Test(burst, outcomes)
{
	build_all();
	for (size_t i = 0; i < qs.n; i++) {
		struct ans_req req = { .q = qs.q[i], .qlen = qs.len[i], .tcp = qs.tcp[i] };
		reflen[i] = ans_respond(root, &cfg, &req, ref[i], sizeof ref[i], &refoc[i]);
		outcome_agrees(i, &refoc[i], ref[i], reflen[i]);
	}
	/* burst gives the same outcomes */
	for (size_t i = 0; i < qs.n; i += 32) {
		size_t m = qs.n - i < 32 ? qs.n - i : 32;
		struct ans_req reqs[32];
		uint8_t *outs[32];
		size_t caps[32], lens[32];
		struct ans_outcome ocs[32];
		for (size_t j = 0; j < m; j++) {
			reqs[j] = (struct ans_req){ .q = qs.q[i + j], .qlen = qs.len[i + j], .tcp = qs.tcp[i + j] };
			outs[j] = got[i + j];
			caps[j] = sizeof got[0];
		}
		ans_respond_burst(root, &cfg, reqs, m, outs, caps, lens, ocs);
		for (size_t j = 0; j < m; j++)
			cr_assert(memcmp(&ocs[j], &refoc[i + j], sizeof ocs[j]) == 0,
				  "query %zu: burst outcome differs from single", i + j);
	}
}

/* The response to the query of spec, by the burst or the single path, in
 * o (2048 bytes); its length. */
static size_t answer_spec(const char *spec, bool burst, uint8_t o[2048], struct ans_outcome *oc)
{
	uint8_t q[QMAX];
	size_t ql = dm_query_text(q, sizeof q, spec, false), n;
	struct ans_req req = { .q = q, .qlen = ql, .tcp = false };
	if (burst) {
		uint8_t *outs[1] = { o };
		size_t caps[1] = { 2048 };
		ans_respond_burst(root, &cfg, &req, 1, outs, caps, &n, oc);
	} else {
		n = ans_respond(root, &cfg, &req, o, 2048, oc);
	}
	return n;
}

/* The path each kind of query takes. */
static void path_is(const char *spec, enum ans_path want, bool burst)
{
	uint8_t o[2048];
	struct ans_outcome oc;
	size_t n = answer_spec(spec, burst, o, &oc);
	cr_assert_eq(oc.path, want, "%s (%s): path %u, not %u", spec, burst ? "burst" : "single",
		     oc.path, want);
	outcome_agrees(0, &oc, o, n);
}

Test(burst, outcome_paths)
{
	static const struct {
		const char *spec;
		enum ans_path path;
	} cases[] = {
		{ "www.example.com. A", ANS_PATH_HIT },
		{ "www.example.com. A +edns +cd +rd", ANS_PATH_HIT },
		{ "mail.example.com. AAAA +edns", ANS_PATH_HIT },
		{ "example.com. MX", ANS_PATH_HIT },	/* a pre-encoded answer */
		{ "nope.example.com. A", ANS_PATH_NX },
		{ "nope.example.com. AAAA +edns", ANS_PATH_NX },
		/* plain RDATA with its RRSIGs is still copied */
		{ "www.example.org. A +do", ANS_PATH_HIT },
		/* NSEC denial */
		{ "nope.example.org. A +do", ANS_PATH_NX },
		{ "ns1a.example.org. A +do", ANS_PATH_NX },	/* owner: MNAME's */
		{ "zzzz.example.org. AAAA +do", ANS_PATH_NX },
		/* pre-encoded with DNSSEC: RRSIGs in the additional section */
		{ "example.org. MX +do", ANS_PATH_HIT },
		{ "example.org. NS +do", ANS_PATH_HIT },
		{ "example.net. NS +do", ANS_PATH_HIT },
		/* a pre-encoded answer without additional section, RRSIGs added */
		{ "example.org. SOA +do", ANS_PATH_HIT },
		/* NODATA with DNSSEC: the name's NSEC, the NSEC3 matching it */
		{ "www.example.org. TXT +do", ANS_PATH_HIT },
		{ "www.example.net. TXT +do", ANS_PATH_HIT },
		{ "www.example.net. DS +do", ANS_PATH_HIT },
		/* a wildcard answer with its NSEC3 proof */
		{ "foo.wild.example.net. A +do", ANS_PATH_HIT },
		{ "foo.wild.example.org. A +do", ANS_PATH_HIT },	/* NSEC */
		{ "foo.wild.example.org. MX +do", ANS_PATH_FULL },	/* wildcard NODATA */
		{ "x.b.example.org. A +do", ANS_PATH_HIT },
		{ "nope.example.org. A", ANS_PATH_NX },
		{ "alias.example.com. A", ANS_PATH_FULL },	/* CNAME */
		{ "www.example.com. MX", ANS_PATH_FULL },	/* NODATA */
		{ "host.sub.example.com. A", ANS_PATH_REF },	/* referral */
		{ "sub.example.com. NS +edns", ANS_PATH_REF },
		{ "sub.example.com. DS", ANS_PATH_FULL },	/* the parent's data */
		/* with DNSSEC: a DS RRset, or an NSEC3 proof of none */
		{ "www.secure.example.net. A +do", ANS_PATH_REF },
		{ "www.d7.bench-tld. A +do", ANS_PATH_REF },
		{ "nx-name.bench-tld. A +do", ANS_PATH_NX },
		{ "nx-name.example.net. A +do", ANS_PATH_NX },
		{ "www.example.com. A +opcode=2", ANS_PATH_FULL },	/* NOTIMP */
		{ "www.example.com. A +ednsver=1", ANS_PATH_FULL },	/* BADVERS */
		{ "www.example.com. A +twoopt", ANS_PATH_FULL },	/* FORMERR */
		{ "version.bind. TXT +class=CH", ANS_PATH_FULL },
		{ "www.example.test. A", ANS_PATH_FULL },	/* REFUSED */
		{ "www.example.com. A +qr", ANS_PATH_NONE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		path_is(cases[i].spec, cases[i].path, false);
		path_is(cases[i].spec, cases[i].path, true);
	}
}

/* A zone the publisher marked expired (a secondary whose primaries
 * stayed silent) is answered SERVFAIL on every path, burst and single;
 * the other zones are not touched. */
Test(burst, expired_zone_servfail)
{
	const uint8_t *org = (const uint8_t *)"\7example\3org";
	struct snap *z = NULL;
	for (size_t i = 0; i < sv.n; i++)
		if (dname_eq(snap_origin(sv.snaps[i]), org))
			z = sv.snaps[i];
	cr_assert_not_null(z);
	snap_set_expired(z, true);
	static const char *const specs[] = { "www.example.org. A", "nope.example.org. A +do",
					     "example.org. SOA +edns", "foo.wild.example.org. A" };
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		for (int burst = 0; burst < 2; burst++) {
			uint8_t o[2048];
			struct ans_outcome oc;
			size_t n = answer_spec(specs[i], burst, o, &oc);
			cr_assert_geq(n, 12);
			cr_assert_eq(o[3] & 15, 2, "%s: rcode %u, not SERVFAIL", specs[i], o[3] & 15);
			cr_assert_eq(o[2] & 0x04, 0, "%s: AA set", specs[i]);
		}
	path_is("www.example.com. A", ANS_PATH_HIT, true);
}
