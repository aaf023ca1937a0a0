/*
 * test_snap.c - the snapshot compiler, validator and lookups: nodes and
 * empty non-terminals (RFC 4592 §2.2.2), canonical order (RFC 4034 §6.1),
 * per-name flags, RRsets with their signatures, closest encloser lookup,
 * NSEC3 hashing (RFC 5155 §5, Appendix A), pre-encoded answers (equal to
 * what the engine writes), refusal of corrupt, truncated and hostile
 * images, and the zone index.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/enc.h"
#include "zones/frag.h"
#include "zones/rrtype.h"
#include "zones/nsecord.h"
#include "zones/snap.h"
#include "tests/zt.h"

#define HEAD "$TTL 300\n@ SOA ns1 hostmaster 7 7200 3600 1209600 60\n@ NS ns1\nns1 A 198.51.100.1\n"

/* A compiled and opened zone. */
struct cz {
	struct zt t;
	void *img;
	size_t size;
	struct snap *s;
};

static void cz_load(struct cz *c, const char *origin, const char *text)
{
	char err[256];
	zt_load(&c->t, origin, "z", text);
	cr_assert_eq(c->t.errors, 0, "%s", c->t.msgs);
	cr_assert_eq(zc_compile(c->t.z, &c->img, &c->size, err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(snap_open(c->img, c->size, &c->s, err, sizeof err), 0,
		     "%s", err);
}

static void cz_free(struct cz *c)
{
	snap_close(c->s);
	free(c->img);
	zt_free(&c->t);
}

static const uint8_t *wire(const char *txt)
{
	static uint8_t bufs[8][DNAME_MAX];
	static int k;
	uint8_t *b = bufs[k++ & 7];
	cr_assert(dname_from_text(b, txt, strlen(txt), (const uint8_t *)"") > 0,
		  "bad name %s", txt);
	return b;
}

static const char *text(const uint8_t *name)
{
	static char bufs[4][DNAME_TEXT_MAX];
	static int k;
	char *b = bufs[k++ & 3];
	dname_to_text(b, DNAME_TEXT_MAX, name);
	return b;
}

/* The node of an existing name. */
static const struct snap_node *node(const struct cz *c, const char *name)
{
	uint32_t i;
	cr_assert(snap_find(c->s, wire(name), &i), "%s not found", name);
	return &snap_nodes(c->s)[i];
}

/* What a node's block head holds of it. */
static uint32_t flags_of(const struct cz *c, const struct snap_node *n)
{
	return snap_node_flags(snap_base(c->s), n);
}

static unsigned nrr_of(const struct cz *c, const struct snap_node *n)
{
	return snap_node_nrrsets(snap_base(c->s), n);
}

static uint32_t node_idx(const struct cz *c, const char *name)
{
	return (uint32_t)(node(c, name) - snap_nodes(c->s));
}

static const char *node_name(const struct cz *c, uint32_t i)
{
	return text(snap_at(c->s, snap_nodes(c->s)[i].name));
}

/* Every neighbour pair in canonical order, parents consistent. */
static void check_order(const struct cz *c)
{
	const struct snap_header *h = snap_hdr(c->s);
	const struct snap_node *n = snap_nodes(c->s);
	for (uint32_t i = 1; i < h->nnodes; i++) {
		const uint8_t *a = snap_at(c->s, n[i - 1].name);
		const uint8_t *b = snap_at(c->s, n[i].name);
		cr_assert_lt(dname_canon_cmp(a, b), 0, "%s !< %s", text(a), text(b));
		cr_assert(dname_eq(snap_at(c->s, n[n[i].parent].name), dname_parent(b)));
	}
}

/* The same for a zone large enough that the compiler gives its arrays and
 * the zone's names back while it writes the blocks (several 4 MiB name
 * chunks, arrays over 4 MiB): empty non-terminals (a suffix of an owner's
 * name), an owner whose records are not together, MX targets, a wildcard
 * and a delegation, at both ends of the zone. */
Test(snap, compile_shed_same_image_big, .timeout = 120)
{
	enum { N = 260000 };
	size_t cap = (size_t)N * 64 + 4096, len = 0;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	len += (size_t)snprintf(text + len, cap - len, "$TTL 300\n@ SOA ns1 h 1 1 1 1 1\n"
				"@ NS ns1\nns1 A 198.51.100.1\nfirst MX 10 h1.e1\n*.w A 198.51.100.3\n");
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%d.e%d A 198.51.100.%d\n", i,
					i % 1000, i % 250);
	len += (size_t)snprintf(text + len, cap - len, "first TXT \"split\"\nsub NS ns.sub\n"
				"ns.sub A 198.51.100.4\nlast MX 10 h%d.e%d\n", N - 1, (N - 1) % 1000);
	struct zt a, b;
	zt_load(&a, "example.com", "z", text);
	zt_load(&b, "example.com", "z", text);
	free(text);
	cr_assert_eq(a.errors + b.errors, 0, "%s", a.msgs);
	void *ia, *ib;
	size_t sa, sb;
	char err[256];
	cr_assert_eq(zc_compile(a.z, &ia, &sa, err, sizeof err), 0, "%s", err);
	cr_assert_eq(zc_compile_shed(b.z, &ib, &sb, err, sizeof err), 0, "%s", err);
	cr_assert_eq(sa, sb);
	cr_assert(memcmp(ia, ib, sa) == 0, "images differ");
	struct snap *s;
	cr_assert_eq(snap_open(ib, sb, &s, err, sizeof err), 0, "%s", err);
	cr_assert_eq(snap_hdr(s)->nnodes, N + 1000 + 8);
	snap_close(s);
	free(ia);
	free(ib);
	zt_free(&a);
	zt_free(&b);
}

/* zc_compile_shed gives the image zc_compile gives, and leaves the zone
 * with its stats but no index (zone_foreach refuses). */
static int count_rr(void *ud, const uint8_t *o, uint16_t t, uint32_t ttl, const uint8_t *rd,
		    uint16_t rdlen)
{
	(void)o; (void)t; (void)ttl; (void)rd; (void)rdlen;
	++*(size_t *)ud;
	return 0;
}

Test(snap, compile_shed_same_image)
{
	static const char z[] = "$TTL 300\n@ SOA ns1 h 1 1 1 1 1\n@ NS ns1\nns1 A 198.51.100.1\n"
				"www A 198.51.100.2\nmail MX 10 www\na.b.c TXT \"x\"\n*.w A 198.51.100.3\n"
				"sub NS ns.sub\nns.sub A 198.51.100.4\nwww AAAA 2001:db8::1\n";
	struct zt a, b;
	zt_load(&a, "example.com", "z", z);
	zt_load(&b, "example.com", "z", z);
	cr_assert_eq(a.errors + b.errors, 0, "%s", a.msgs);
	void *ia, *ib;
	size_t sa, sb, n = 0;
	char err[256];
	cr_assert_eq(zc_compile(a.z, &ia, &sa, err, sizeof err), 0, "%s", err);
	cr_assert_eq(zc_compile_shed(b.z, &ib, &sb, err, sizeof err), 0, "%s", err);
	cr_assert_eq(sa, sb);
	cr_assert(memcmp(ia, ib, sa) == 0, "images differ");
	cr_assert_eq(zone_foreach(b.z, count_rr, &n), -1);
	cr_assert_eq(zone_foreach(a.z, count_rr, &n), 0);
	cr_assert_eq(n, 10);
	struct zone_stats st;
	zone_get_stats(b.z, &st);
	cr_assert_eq(st.records, 10);
	free(ia);
	free(ib);
	zt_free(&a);
	zt_free(&b);
}

Test(snap, nodes_ents_flags)
{
	struct cz c;
	cz_load(&c, "example.com", HEAD
		"www A 198.51.100.2\n"
		"a.b.c A 198.51.100.3\n"
		"sub NS ns.sub\nsub DS 1 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"ns.sub A 198.51.100.4\n"
		"deep.x.sub A 198.51.100.5\n"
		"deeper.sub NS ns.elsewhere.org.\n"
		"*.w A 198.51.100.6\nq.w TXT hello\n"
		"cn CNAME www\n"
		"dn DNAME example.net.\n");
	const struct snap_header *h = snap_hdr(c.s);
	/* apex ns1 www a.b.c b.c c sub ns.sub deep.x.sub x.sub deeper.sub
	 * *.w w q.w cn dn */
	cr_assert_eq(h->nnodes, 16);
	check_order(&c);
	cr_assert_eq(h->apex, 0);
	cr_assert(flags_of(&c, &snap_nodes(c.s)[0]) & SNAP_N_APEX);
	cr_assert_eq(snap_nodes(c.s)[0].parent, SNAP_NONE);
	cr_assert(!(flags_of(&c, &snap_nodes(c.s)[0]) & SNAP_N_CUT));
	cr_assert_str_eq(text(snap_origin(c.s)), "example.com.");
	cr_assert_eq(h->origin_labels, 2);

	cr_assert_eq(flags_of(&c, node(&c, "c.example.com.")), SNAP_N_ENT);
	cr_assert_eq(flags_of(&c, node(&c, "b.c.example.com.")), SNAP_N_ENT);
	cr_assert_eq(nrr_of(&c, node(&c, "b.c.example.com.")), 0);
	cr_assert_eq(flags_of(&c, node(&c, "a.b.c.example.com.")), 0);
	cr_assert_eq(node(&c, "a.b.c.example.com.")->parent,
		     node_idx(&c, "b.c.example.com."));
	cr_assert_eq(flags_of(&c, node(&c, "w.example.com.")),
		     SNAP_N_ENT | SNAP_N_WILD_CHILD);
	cr_assert_eq(flags_of(&c, node(&c, "*.w.example.com.")), SNAP_N_WILDCARD);
	cr_assert_eq(flags_of(&c, node(&c, "cn.example.com.")), SNAP_N_CNAME);
	cr_assert_eq(flags_of(&c, node(&c, "dn.example.com.")), SNAP_N_DNAME);

	uint32_t sub = node_idx(&c, "sub.example.com.");
	cr_assert_eq(flags_of(&c, node(&c, "sub.example.com.")), SNAP_N_CUT);
	cr_assert_eq(node(&c, "sub.example.com.")->cut, sub);
	cr_assert_eq(flags_of(&c, node(&c, "ns.sub.example.com.")), SNAP_N_OCCLUDED);
	cr_assert_eq(node(&c, "ns.sub.example.com.")->cut, sub);
	cr_assert_eq(flags_of(&c, node(&c, "x.sub.example.com.")),
		     SNAP_N_OCCLUDED | SNAP_N_ENT);
	cr_assert_eq(node(&c, "deep.x.sub.example.com.")->cut, sub);
	/* An NS below a cut is occluded data, not a cut. */
	cr_assert_eq(flags_of(&c, node(&c, "deeper.sub.example.com.")), SNAP_N_OCCLUDED);
	cr_assert_eq(node(&c, "deeper.sub.example.com.")->cut, sub);
	cr_assert_eq(node(&c, "www.example.com.")->cut, SNAP_NONE);
	cr_assert_eq(node(&c, "www.example.com.")->nsec3, SNAP_NONE);

	/* Header facts: RFC 2308 §5 negative TTL = min(SOA TTL, MINIMUM). */
	cr_assert_eq(h->serial, 7);
	cr_assert_eq(h->neg_ttl, 60);
	cr_assert_eq(((const struct snap_rrset *)snap_at(c.s, h->soa))->type, RR_SOA);
	cr_assert_eq(h->flags, 0);
	cz_free(&c);
}

Test(snap, rrsets_and_rdata)
{
	struct cz c;
	cz_load(&c, "example.com", HEAD
		"www 100 A 198.51.100.9\nwww 100 A 198.51.100.2\n"
		"www AAAA 2001:db8::1\nwww MX 10 mail\nwww TXT \"a\" \"b\"\n");
	const struct snap_node *n = node(&c, "www.example.com.");
	cr_assert_eq(nrr_of(&c, n), 4);
	const struct snap_rrset *r = snap_node_rrsets(c.s, n);
	cr_assert_eq(r[0].type, RR_A);
	cr_assert_eq(r[1].type, RR_MX);
	cr_assert_eq(r[2].type, RR_TXT);
	cr_assert_eq(r[3].type, RR_AAAA);
	cr_assert_eq(snap_rrset_of(c.s, n, RR_MX), &r[1]);
	cr_assert_null(snap_rrset_of(c.s, n, RR_NS));
	cr_assert_null(snap_rrset_of(c.s, n, RR_CAA));
	cr_assert_eq(r[0].count, 2);
	cr_assert_eq(r[0].ttl, 100);
	cr_assert_eq(r[0].rdata_len, 12);
	/* Canonical rdata order, each with a 2-byte RDLENGTH. */
	static const uint8_t a[] = { 0, 4, 198, 51, 100, 2, 0, 4, 198, 51, 100, 9 };
	cr_assert_arr_eq(snap_at(c.s, r[0].rdata), a, sizeof a);
	static const uint8_t mx[] = { 0, 20, 0, 10, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x',
				      'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
	cr_assert_eq(r[1].rdata_len, sizeof mx);
	cr_assert_arr_eq(snap_at(c.s, r[1].rdata), mx, sizeof mx);
	cr_assert_eq(r[0].nsigs, 0);
	cr_assert_eq(r[0].nsigs, 0);
	cr_assert_eq(r[0].sigs_len, 0);
	cz_free(&c);
}

/* The pre-encoded answer of name/type: present exactly where the compiler
 * may make one, and then the sections ans_respond writes after the
 * question for that query (no EDNS), with its ARCOUNT. */
static void check_resp(const struct cz *c, struct zidx *root, const char *name, uint16_t type,
		       bool want)
{
	const struct snap_rrset *rs = snap_rrset_of(c->s, node(c, name), type);
	cr_assert_not_null(rs, "%s/%u", name, type);
	cr_assert_eq(rs->resp != 0, want, "%s/%u: pre-encoded answer %s", name, type,
		     want ? "missing" : "not expected");
	if (!want)
		return;
	uint8_t q[300], out[4096];
	const uint8_t *w = wire(name);
	size_t wl = dname_len(w), ql = 0;
	static const uint8_t hdr[12] = { 0xab, 0xcd, 0, 0, 0, 1 };
	memcpy(q, hdr, 12);
	ql = 12;
	/* the query name in other case: the answer may not depend on it */
	for (size_t i = 0; i < wl; i++)
		q[ql + i] = (uint8_t)(w[i] >= 'a' && w[i] <= 'z' ? w[i] - 32 : w[i]);
	ql += wl;
	q[ql++] = (uint8_t)(type >> 8);
	q[ql++] = (uint8_t)type;
	q[ql++] = 0;
	q[ql++] = 1;
	static const struct ans_cfg cfg = { .max_udp = 1232 };
	struct ans_req req = { .q = q, .qlen = ql, .tcp = true };
	size_t n = ans_respond(root, &cfg, &req, out, sizeof out, NULL);
	cr_assert_gt(n, ql);
	const uint8_t *pre = snap_at(c->s, rs->rdata + rs->rdata_len);
	cr_assert_eq(rs->resp - 2u, n - ql, "%s/%u: %u bytes pre-encoded, %zu answered", name,
		     type, rs->resp - 2u, n - ql);
	cr_assert_arr_eq(pre + 2, out + ql, n - ql, "%s/%u: bytes differ", name, type);
	cr_assert_eq(pre[0] | pre[1] << 8, out[10] << 8 | out[11]);
	cr_assert_eq(out[6] << 8 | out[7], rs->count);
}

/* The pre-encoded referral at the cut name: a well-formed fragment whose
 * parts are, for a query naming the cut itself (no pointer to move), the
 * sections ans_respond writes after the question, with their counts. */
static void check_referral(const struct cz *c, struct zidx *root, const char *name,
			   unsigned ns, unsigned ar)
{
	const struct snap_rrset *rs = snap_rrset_of(c->s, node(c, name), RR_NS);
	cr_assert_not_null(rs, "%s", name);
	cr_assert_neq(rs->resp, 0, "%s: no pre-encoded referral", name);
	const uint8_t *f = snap_at(c->s, rs->rdata + rs->rdata_len);
	cr_assert_null(frag_check(f, rs->resp), "%s: %s", name, frag_check(f, rs->resp));
	cr_assert_eq(frag_u16(f, 0), ns);
	cr_assert_eq(frag_u16(f, 2), ar);
	uint8_t q[300], out[4096];
	const uint8_t *w = wire(name);
	size_t wl = dname_len(w);
	static const uint8_t hdr[12] = { 0xab, 0xcd, 0, 0, 0, 1 };
	memcpy(q, hdr, 12);
	memcpy(q + 12, w, wl);
	size_t ql = 12 + wl;
	q[ql++] = 0;
	q[ql++] = RR_A;
	q[ql++] = 0;
	q[ql++] = 1;
	static const struct ans_cfg cfg = { .max_udp = 1232 };
	struct ans_req req = { .q = q, .qlen = ql, .tcp = true };
	size_t n = ans_respond(root, &cfg, &req, out, sizeof out, NULL);
	size_t parts = (size_t)frag_u16(f, 4) + frag_u16(f, 6);
	cr_assert_eq(n - ql, parts, "%s: %zu bytes pre-encoded, %zu answered", name, parts,
		     n - ql);
	cr_assert_arr_eq(f + frag_parts_at(f), out + ql, parts, "%s: bytes differ", name);
	cr_assert_eq(out[8] << 8 | out[9], ns);
	cr_assert_eq(out[10] << 8 | out[11], ar);
}

Test(snap, preencoded_answers)
{
	struct cz c;
	cz_load(&c, "example.com", HEAD
		"@ MX 10 mail\n@ MX 20 mx.example.net.\n@ MX 30 mail\n"
		"mail A 198.51.100.3\nmail AAAA 2001:db8::3\nmail A 198.51.100.4\n"
		"www CNAME mail\nptr PTR www.example.net.\n"
		"srv SRV 1 2 53 ns1\nsrv SRV 1 2 53 mail\nsrv SRV 1 2 53 .\n"
		"ent.x MX 10 x\nnx MX 10 nothere\nwc MX 10 foo.w\n*.w A 192.0.2.1\n"
		"sub NS ns.sub\nns.sub A 198.51.100.4\nns.sub MX 10 mail\n"
		"nocomp HINFO a b\n");
	struct snap *one[1] = { c.s };
	struct zidx *root = zidx_new(one, 1);
	cr_assert_not_null(root);
	/* names and additional addresses, deduplicated, glue included */
	check_resp(&c, root, "example.com.", RR_MX, true);
	check_resp(&c, root, "example.com.", RR_NS, true);
	check_resp(&c, root, "example.com.", RR_SOA, true);
	check_resp(&c, root, "www.example.com.", RR_CNAME, true);
	check_resp(&c, root, "ptr.example.com.", RR_PTR, true);
	check_resp(&c, root, "srv.example.com.", RR_SRV, true);
	/* a target that is an empty non-terminal: no addresses, still made */
	check_resp(&c, root, "ent.x.example.com.", RR_MX, true);
	/* a target that does not exist, or exists through a wildcard: the
	 * engine's general path decides */
	check_resp(&c, root, "nx.example.com.", RR_MX, false);
	check_resp(&c, root, "wc.example.com.", RR_MX, false);
	/* plain RDATA, a cut, data below a cut */
	check_resp(&c, root, "mail.example.com.", RR_A, false);
	check_resp(&c, root, "nocomp.example.com.", RR_HINFO, false);
	check_referral(&c, root, "sub.example.com.", 1, 1);
	check_resp(&c, root, "ns.sub.example.com.", RR_MX, false);
	zidx_free(root);
	cz_free(&c);
}

#define SIG(cov, ttl, tag) "www " ttl " RRSIG " cov " 8 3 300 20300101000000 20200101000000 " tag " example.com. AAAA\n"

Test(snap, signatures_attached)
{
	struct cz c;
	cz_load(&c, "example.com", HEAD
		"www A 198.51.100.2\nwww MX 10 www\n"
		SIG("A", "300", "1") SIG("A", "200", "2") SIG("MX", "300", "1")
		SIG("TXT", "250", "1") SIG("CAA", "300", "1"));
	const struct snap_header *h = snap_hdr(c.s);
	cr_assert(h->flags & SNAP_F_SIGNED);
	const struct snap_node *n = node(&c, "www.example.com.");
	cr_assert_eq(nrr_of(&c, n), 3);
	const struct snap_rrset *a = snap_rrset_of(c.s, n, RR_A);
	cr_assert_eq(a->nsigs, 2);
	cr_assert_eq(a->sig_ttl, 200);
	const uint8_t *s = snap_at(c.s, snap_rrset_sigs(a));
	size_t l0 = (size_t)s[0] << 8 | s[1];
	cr_assert_eq(s[2] << 8 | s[3], RR_A);
	cr_assert_eq(s[4 + l0] << 8 | s[5 + l0], RR_A);
	cr_assert_eq(a->sigs_len, 2 * (2 + l0));
	const struct snap_rrset *mx = snap_rrset_of(c.s, n, RR_MX);
	cr_assert_eq(mx->nsigs, 1);
	/* RRSIG TTLs are per covered type (RFC 4034 §3). */
	cr_assert_eq(mx->sig_ttl, 300);
	/* Stray signatures (TXT, CAA: no such RRset) on a synthetic RRSIG
	 * RRset with no records. */
	const struct snap_rrset *st = snap_rrset_of(c.s, n, RR_RRSIG);
	cr_assert_not_null(st);
	cr_assert_eq(st->count, 0);
	cr_assert_eq(st->rdata_len, 0);
	cr_assert_eq(st->nsigs, 2);
	cr_assert_eq(st->sig_ttl, 250);
	cr_assert_eq(st->ttl, 250);
	s = snap_at(c.s, snap_rrset_sigs(st));
	cr_assert_eq(s[2] << 8 | s[3], RR_TXT);
	cz_free(&c);
}

/* Hundreds of types at one name, each signed, plus a stray signature. */
Test(snap, many_types_signed)
{
	static char buf[1 << 17];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s", HEAD);
	for (int t = 1000; t < 1300; t++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
			"many TYPE%d \\# 1 %02x\n"
			"many RRSIG TYPE%d 8 3 300 20300101000000 20200101000000 1 example.com. AAAA\n",
			t, t & 255, t);
	len += (size_t)snprintf(buf + len, sizeof buf - len,
		"many RRSIG TYPE2000 8 3 300 20300101000000 20200101000000 1 example.com. AAAA\n");
	struct cz c;
	cz_load(&c, "example.com", buf);
	const struct snap_node *n = node(&c, "many.example.com.");
	cr_assert_eq(nrr_of(&c, n), 301);
	for (uint16_t t = 1000; t < 1300; t++) {
		const struct snap_rrset *r = snap_rrset_of(c.s, n, t);
		cr_assert_not_null(r);
		cr_assert_eq(r->count, 1);
		cr_assert_eq(r->nsigs, 1);
		const uint8_t *sg = snap_at(c.s, snap_rrset_sigs(r));
		cr_assert_eq(sg[2] << 8 | sg[3], t);
	}
	const struct snap_rrset *st = snap_rrset_of(c.s, n, RR_RRSIG);
	cr_assert_eq(st->nsigs, 1);
	cz_free(&c);
}

/* snap_rrset.count is 16-bit: a bigger RRset is refused, not truncated. */
Test(snap, huge_rrset_refused)
{
	size_t cap = 70000 * 40 + 4096, len;
	char *buf = malloc(cap);
	len = (size_t)snprintf(buf, cap, "%s", HEAD);
	for (int i = 0; i < 65536; i++)
		len += (size_t)snprintf(buf + len, cap - len, "big A 10.%d.%d.%d\n",
					i >> 16, (i >> 8) & 255, i & 255);
	struct zt t;
	zt_load(&t, "example.com", "z", buf);
	cr_assert_eq(t.errors, 0);
	void *img;
	size_t size;
	char err[256];
	cr_assert_eq(zc_compile(t.z, &img, &size, err, sizeof err), -1);
	cr_assert(strstr(err, "big.example.com.: more than 65535"), "%s", err);
	cr_assert_null(img);
	zt_free(&t);
	free(buf);
}

Test(snap, find_closest_encloser)
{
	struct cz c;
	cz_load(&c, "Example.COM", HEAD
		"WWW A 198.51.100.2\na.b.c A 198.51.100.3\n*.w A 198.51.100.6\n"
		"sub NS ns.sub\nns.sub A 198.51.100.4\n");
	uint32_t i;
	cr_assert(snap_find(c.s, wire("www.example.com."), &i));
	cr_assert_str_eq(node_name(&c, i), "WWW.Example.COM.");
	cr_assert(snap_find(c.s, wire("wWw.EXAMPLE.com."), &i));
	cr_assert_str_eq(node_name(&c, i), "WWW.Example.COM.");
	cr_assert(snap_find(c.s, wire("example.com."), &i));
	cr_assert_eq(i, 0);
	cr_assert(snap_find(c.s, wire("c.example.com."), &i));	/* ENT */
	cr_assert_not(snap_find(c.s, wire("x.www.example.com."), &i));
	cr_assert_str_eq(node_name(&c, i), "WWW.Example.COM.");
	cr_assert_not(snap_find(c.s, wire("q.b.c.example.com."), &i));
	cr_assert_str_eq(node_name(&c, i), "b.c.Example.COM.");
	cr_assert_not(snap_find(c.s, wire("z.y.x.example.com."), &i));
	cr_assert_eq(i, 0);
	cr_assert_not(snap_find(c.s, wire("z.w.example.com."), &i));
	cr_assert_str_eq(node_name(&c, i), "w.Example.COM.");
	cr_assert(flags_of(&c, &snap_nodes(c.s)[i]) & SNAP_N_WILD_CHILD);
	cr_assert(snap_find(c.s, wire("*.w.example.com."), &i));
	cr_assert_not(snap_find(c.s, wire("a.b.ns.sub.example.com."), &i));
	cr_assert_str_eq(node_name(&c, i), "ns.sub.Example.COM.");
	cz_free(&c);
}

/* The staged probe (snap_probe_home, snap_probe_block and the block
 * accessors) finds every node's block from the hash of its name in any
 * case, with the node's name, index and RRset entries; absent names give
 * SNAP_NONE. */
Test(snap, staged_probe)
{
	struct cz c;
	cz_load(&c, "example.com", HEAD
		"www A 198.51.100.2\nwww AAAA 2001:db8::2\na.b.c A 198.51.100.3\n"
		"*.w A 198.51.100.6\nsub NS ns.sub\nns.sub A 198.51.100.4\n");
	const uint8_t *base = snap_base(c.s);
	const struct snap_header *h = snap_hdr(c.s);
	const struct snap_node *nodes = snap_node_tab(base, h);
	cr_assert_eq(nodes, snap_nodes(c.s));
	for (uint32_t i = 0; i < h->nnodes; i++) {
		const uint8_t *name = base + nodes[i].name;
		uint8_t upper[DNAME_MAX];
		size_t len = dname_len(name);
		for (size_t k = 0; k < len; k++)
			upper[k] = (uint8_t)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]);
		uint32_t hv = (uint32_t)dname_hash(upper);
		snap_probe_home(base, h, hv);
		uint32_t off = snap_probe_block(base, h, hv);
		cr_assert_neq(off, SNAP_NONE, "node %u", i);
		const struct snap_block *bh = snap_block_at(base, off);
		cr_assert_eq(bh->node, i);
		cr_assert(snap_name_is(snap_block_name(base, off), bh->name_len, upper, len));
		cr_assert_eq(snap_block_rrset_tab(base, off), snap_node_rrsets(c.s, &nodes[i]));
	}
	static const char *const absent[] = { "nope.example.com.", "x.www.example.com.",
					      "w.example.org." };
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
		cr_assert_eq(snap_probe_block(base, h, (uint32_t)dname_hash(wire(absent[i]))),
			     SNAP_NONE, "%s", absent[i]);
	cz_free(&c);
}

/* RFC 4034 §6.1 order including escaped octets that collide with the sort
 * keys' separator and escape, case, and long labels; every name is found. */
Test(snap, canonical_order_tricky)
{
	struct cz c;
	cz_load(&c, "example", HEAD
		"a A 192.0.2.1\n\\000 A 192.0.2.1\n\\001 A 192.0.2.1\n"
		"a\\000 A 192.0.2.1\na\\001 A 192.0.2.1\na\\000\\001 A 192.0.2.1\n"
		"\\001.a A 192.0.2.1\n\\000.a A 192.0.2.1\nz.a A 192.0.2.1\n"
		"yljkjljk.a A 192.0.2.1\nZ.a A 192.0.2.1\nzABC.a A 192.0.2.1\n"
		"*.z.a A 192.0.2.1\n\\200.z.a A 192.0.2.1\n\\255 A 192.0.2.1\n"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1\n"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab A 192.0.2.1\n"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1\n"
		"x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1\n"
		"aaaaaaaa.b A 192.0.2.1\naaaaaaaa A 192.0.2.1\naaaaaaa\\000.b A 192.0.2.1\n");
	check_order(&c);
	cz_free(&c);
}

/* Many random names, some deep, of bytes from a tiny alphabet so that
 * prefixes are shared and runs of equal 8-byte chunks are long. */
Test(snap, canonical_order_random)
{
	static char buf[1 << 21];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s", HEAD);
	uint64_t x = 42;
	static const char *alpha[] = { "a", "A", "b", "\\000", "\\001", "-", "\\255", "aa" };
	for (int i = 0; i < 20000; i++) {
		int labels = 1 + (int)((x >> 7) % 4);
		for (int l = 0; l < labels; l++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			int ll = 1 + (int)((x >> 33) % 12);
			for (int k = 0; k < ll; k++) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				len += (size_t)snprintf(buf + len, sizeof buf - len, "%s",
							alpha[(x >> 40) % 8]);
			}
			len += (size_t)snprintf(buf + len, sizeof buf - len, ".");
		}
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"example. A 192.0.2.1\n");
	}
	struct cz c;
	cz_load(&c, "example", buf);
	check_order(&c);
	/* Every node is found through the hash. */
	const struct snap_header *h = snap_hdr(c.s);
	for (uint32_t i = 0; i < h->nnodes; i++) {
		uint32_t j;
		cr_assert(snap_find(c.s, snap_at(c.s, snap_nodes(c.s)[i].name), &j));
		cr_assert_eq(i, j);
	}
	cz_free(&c);
}

/* ---------------------------------------------------------------- NSEC3 */

static void b32(const uint8_t h[20], char out[33])
{
	enc_b32hex_encode(out, h, 20);
	out[32] = 0;
	for (int i = 0; i < 32; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] + 32);
}

/* RFC 5155 Appendix A: salt aabbccdd, 12 iterations. */
Test(snap, nsec3_hash_rfc5155)
{
	static const struct { const char *name, *hash; } v[] = {
		{ "example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
		{ "a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
		{ "ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi" },
		{ "ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
		{ "ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r" },
		{ "w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h" },
		{ "*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
		{ "x.w.example.", "b4um86eghhds6nea196smvmlo4ors995" },
		{ "y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc" },
		{ "x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s" },
		{ "xx.example.", "t644ebqk9bibcna874givr6joj62mlhv" },
		{ "EXAMPLE.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
	};
	static const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t h[20];
		char t[33];
		snap_nsec3_hash(wire(v[i].name), salt, 4, 12, h);
		b32(h, t);
		cr_assert_str_eq(t, v[i].hash, "%s", v[i].name);
	}
}

#define N3(owner, next, types) owner " NSEC3 1 0 12 aabbccdd " next " " types "\n"

/* Part of the RFC 5155 Appendix A zone: w and y.w are empty
 * non-terminals with NSEC3 records of their own; a is an opt-out-less
 * delegation; ns1.a glue is occluded and not hashed. */
static const char nsec3_zone[] =
	"$TTL 3600\n"
	"@ SOA ns1 bugs.x.w.example. 1 3600 300 3600000 3600\n"
	"@ NS ns1\nns1 A 192.0.2.1\n"
	"@ NSEC3PARAM 1 0 12 aabbccdd\n"
	"@ NSEC3PARAM 1 0 5 -\n"
	"a NS ns1.a\nns1.a A 192.0.2.5\n"
	"*.w MX 1 ai\nx.w MX 1 xx\nx.y.w MX 1 xx\nxx A 192.0.2.10\n"
	N3("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "2t7b4g4vsa5smi47k61mv5bv1a22bojr", "MX DNSKEY NS SOA NSEC3PARAM RRSIG")
	N3("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s", "A RRSIG")
	N3("2vptu5timamqttgl4luu9kg21e0aor3s", "35mthgpgcu1qg68fab165klnsnk3dpvl", "MX RRSIG")
	N3("35mthgpgcu1qg68fab165klnsnk3dpvl", "b4um86eghhds6nea196smvmlo4ors995", "NS DS RRSIG")
	N3("b4um86eghhds6nea196smvmlo4ors995", "ji6neoaepv8b5o6k4ev33abha8ht9fgc", "MX RRSIG")
	N3("ji6neoaepv8b5o6k4ev33abha8ht9fgc", "k8udemvp1j2f7eg6jebps17vp3n8i58h", "")
	N3("k8udemvp1j2f7eg6jebps17vp3n8i58h", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "")
	N3("R53BQ7CC2UVMUBFU5OCMM6PERS9TK9EN", "t644ebqk9bibcna874givr6joj62mlhv", "MX RRSIG")
	N3("t644ebqk9bibcna874givr6joj62mlhv", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "A RRSIG")
	/* another chain (other salt): not in the table */
	"kohar7mbb8dc2ce8a9qvl8hon4k53uhi NSEC3 1 0 12 aabb 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A\n";

Test(snap, nsec3_table_and_nodes)
{
	struct cz c;
	cz_load(&c, "example", nsec3_zone);
	const struct snap_header *h = snap_hdr(c.s);
	cr_assert(h->flags & SNAP_F_NSEC3);
	cr_assert_not(h->flags & SNAP_F_NSEC);
	cr_assert_eq(h->nsec3_alg, 1);
	cr_assert_eq(h->nsec3_iter, 12);
	cr_assert_eq(h->nsec3_salt_len, 4);
	cr_assert_eq(h->nsec3_salt[0], 0xaa);
	cr_assert_eq(h->nsec3_hash_len, 20);
	cr_assert_eq(h->nnsec3, 9);
	const struct snap_nsec3 *t =
		(const struct snap_nsec3 *)snap_at(c.s, h->nsec3);
	for (uint32_t i = 0; i < h->nnsec3; i++) {
		char b[33];
		b32(t[i].hash, b);
		const struct snap_node *n = &snap_nodes(c.s)[t[i].node];
		cr_assert(flags_of(&c, n) & SNAP_N_NSEC3);
		cr_assert_eq(n->nsec3, SNAP_NONE);
		const uint8_t *nm = snap_at(c.s, n->name);
		cr_assert_eq(strncasecmp((const char *)nm + 1, b, 32), 0);
		if (i)
			cr_assert_lt(memcmp(t[i - 1].hash, t[i].hash, 20), 0);
	}
	static const char *const names[] = {
		"example.", "ns1.example.", "a.example.", "w.example.",
		"*.w.example.", "x.w.example.", "y.w.example.", "x.y.w.example.",
		"xx.example.",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct snap_node *n = node(&c, names[i]);
		cr_assert_neq(n->nsec3, SNAP_NONE, "%s", names[i]);
		uint8_t hash[20];
		uint32_t idx;
		cr_assert(snap_nsec3_find(c.s, wire(names[i]), &idx, hash));
		cr_assert_eq(idx, n->nsec3);
		cr_assert_arr_eq(t[idx].hash, hash, 20);
	}
	cr_assert_eq(node(&c, "ns1.a.example.")->nsec3, SNAP_NONE);
	cr_assert(flags_of(&c, node(&c, "ns1.a.example.")) & SNAP_N_OCCLUDED);

	/* Covering: the greatest hash below, wrapping to the last. */
	static const char *const absent[] = {
		"c.example.", "ns2.example.", "ai.example.", "a.b.example.",
		"zz.example.", "q.w.example.",
	};
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		uint8_t hash[20];
		uint32_t idx;
		cr_assert_not(snap_nsec3_find(c.s, wire(absent[i]), &idx, hash));
		cr_assert_lt(idx, h->nnsec3);
		if (memcmp(hash, t[0].hash, 20) < 0) {
			cr_assert_eq(idx, h->nnsec3 - 1, "%s", absent[i]);
		} else {
			cr_assert_lt(memcmp(t[idx].hash, hash, 20), 0);
			if (idx + 1 < h->nnsec3)
				cr_assert_gt(memcmp(t[idx + 1].hash, hash, 20), 0);
		}
	}
	/* H(ns2.example) = q04j... lies between k8ud... and r53b... */
	uint8_t hash[20];
	uint32_t idx;
	snap_nsec3_find(c.s, wire("ns2.example."), &idx, hash);
	cr_assert_str_eq(node_name(&c, t[idx].node),
			 "k8udemvp1j2f7eg6jebps17vp3n8i58h.example.");
	/* H(c.example) is below every hash here?  Whatever it is, a name
	 * hashing below the first entry is covered by the last. */
	cz_free(&c);
}

Test(snap, nsec_flag)
{
	struct cz c;
	cz_load(&c, "example.com", HEAD
		"@ NSEC ns1 SOA NS NSEC RRSIG\nns1 NSEC example.com. A NSEC RRSIG\n");
	cr_assert_eq(snap_hdr(c.s)->flags & (SNAP_F_NSEC | SNAP_F_NSEC3), SNAP_F_NSEC);
	cz_free(&c);
}

/* A random name of 1-4 labels below "example." from a tiny alphabet (so
 * that prefixes and 8-byte key chunks are shared), zero octets only when
 * zeros is set. */
static size_t rand_name(char *out, size_t cap, uint64_t *x, bool zeros)
{
	static const char *alpha[] = { "a", "A", "b", "-", "\\255", "aa", "\\001", "\\000" };
	size_t len = 0;
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	int labels = 1 + (int)((*x >> 7) % 4);
	for (int l = 0; l < labels; l++) {
		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
		int ll = 1 + (int)((*x >> 33) % 12);
		for (int k = 0; k < ll; k++) {
			*x = *x * 6364136223846793005ull + 1442695040888963407ull;
			len += (size_t)snprintf(out + len, cap - len, "%s",
						alpha[(*x >> 40) % (zeros ? 8 : 7)]);
		}
		len += (size_t)snprintf(out + len, cap - len, ".");
	}
	return len + (size_t)snprintf(out + len, cap - len, "example.");
}

/* The NSEC owner at or canonically before name, by looking at every node. */
static uint32_t pred_by_scan(const struct cz *c, const uint8_t *name)
{
	const struct snap_header *h = snap_hdr(c->s);
	uint32_t best = SNAP_NONE;
	for (uint32_t i = 0; i < h->nnodes; i++) {
		const uint8_t *n = snap_at(c->s, snap_nodes(c->s)[i].name);
		if (!snap_rrset_of(c->s, &snap_nodes(c->s)[i], RR_NSEC) ||
		    dname_canon_cmp(n, name) > 0)
			continue;
		if (best == SNAP_NONE ||
		    dname_canon_cmp(snap_at(c->s, snap_nodes(c->s)[best].name), n) < 0)
			best = i;
	}
	return best;
}

/* The NSEC chain's index finds what a scan of every node finds, for names
 * in the zone and not, of any case; names with zero octets in labels by
 * comparing names (nsecord_pred_name), not by keys. */
Test(snap, nsec_index_random)
{
	static char buf[1 << 20];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s@ NSEC ns1 SOA NS NSEC\n", HEAD);
	uint64_t x = 7;
	char name[300];
	for (int i = 0; i < 3000; i++) {
		rand_name(name, sizeof name, &x, false);
		/* every other name owns an NSEC; the rest (and the ENTs) not */
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s %s\n", name,
					i % 2 ? "A 192.0.2.1" : "NSEC example. A NSEC");
	}
	struct cz c;
	cz_load(&c, "example", buf);
	const struct nsecord *o = snap_nsecord(c.s);
	cr_assert_not_null(o);
	const struct snap_header *h = snap_hdr(c.s);
	for (int i = 0; i < 3000; i++) {
		const uint8_t *q;
		if (i % 3 == 0) {
			q = snap_at(c.s, snap_nodes(c.s)[(uint32_t)i % h->nnodes].name);
		} else {
			rand_name(name, sizeof name, &x, i % 3 == 2);
			q = wire(name);
		}
		uint32_t got = SNAP_NONE, want = pred_by_scan(&c, q);
		bool zero = memchr(q, 0, dname_len(q) - 1) != NULL;
		cr_assert_eq(nsecord_pred(o, c.s, q, &got), !zero, "%s", text(q));
		if (!zero)
			cr_assert_eq(got, want, "%s: %s, not %s", text(q), node_name(&c, got),
				     node_name(&c, want));
		got = nsecord_pred_name(o, c.s, q);
		cr_assert_eq(got, want, "%s: %s, not %s (by name)", text(q), node_name(&c, got),
			     node_name(&c, want));
	}
	cz_free(&c);
	/* an owner with a zero octet: the keys order nothing, names do */
	cz_load(&c, "example", HEAD "@ NSEC ns1 SOA NS NSEC\na\\000b NSEC example. A NSEC\n"
				    "b NSEC example. A NSEC\n");
	o = snap_nsecord(c.s);
	cr_assert_not_null(o);
	uint32_t got;
	cr_assert_not(nsecord_pred(o, c.s, wire("c.example."), &got));
	cr_assert_str_eq(node_name(&c, nsecord_pred_name(o, c.s, wire("c.example."))), "b.example.");
	cr_assert_str_eq(node_name(&c, nsecord_pred_name(o, c.s, wire("a\\001.example."))),
			 "a\\000b.example.");
	cz_free(&c);
}

/* ------------------------------------------------------------ validator */

static const char hostile_zone[] = HEAD
	"www A 198.51.100.2\nwww MX 10 mail\nmail A 198.51.100.3\n"
	"a.b.c TXT x\nsub NS ns.sub\nns.sub A 198.51.100.4\n*.w A 192.0.2.1\n"
	"www RRSIG A 8 3 300 20300101000000 20200101000000 1234 example.com. AAAA\n"
	"www A 198.51.100.9\n"
	"@ NSEC3PARAM 1 0 1 ab\n"
	"00000000000000000000000000000000 NSEC3 1 0 1 ab vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv A\n"
	"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv NSEC3 1 0 1 ab 00000000000000000000000000000000 A\n";

/* Recomputes both checksums after a patch, as a hostile writer would. */
static void reseal(uint8_t *img, size_t size)
{
	struct snap_header h;
	memcpy(&h, img, sizeof h);
	h.checksum = snap_checksum(img + sizeof h, size - sizeof h);
	h.header_checksum = 0;
	memcpy(img, &h, sizeof h);
	h.header_checksum = snap_checksum(img, sizeof h);
	memcpy(img, &h, sizeof h);
}

/* Opens a copy of exactly size bytes (so ASan sees any overread); when it
 * opens, reads everything through the lookups. */
static int try_open(const uint8_t *img, size_t size, char *err, size_t errcap)
{
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, img, size);
	struct snap *s;
	int r = snap_open(copy, size, &s, err, errcap);
	if (r == 0) {
		const struct snap_header *h = snap_hdr(s);
		for (uint32_t i = 0; i < h->nnodes; i++) {
			const struct snap_node *n = &snap_nodes(s)[i];
			uint32_t j;
			snap_find(s, snap_at(s, n->name), &j);
			snap_rrset_of(s, n, RR_A);
			for (uint32_t p = i; p != SNAP_NONE; p = snap_nodes(s)[p].parent)
				;
		}
		if (h->flags & SNAP_F_NSEC3) {
			uint8_t hash[20];
			uint32_t idx;
			snap_nsec3_find(s, snap_origin(s), &idx, hash);
		}
		snap_close(s);
	}
	free(copy);
	return r;
}

static void compile_text(const char *text, uint8_t **img, size_t *size, struct zt *t)
{
	char err[256];
	zt_load(t, "example.com", "z", text);
	cr_assert_eq(t->errors, 0, "%s", t->msgs);
	void *p;
	cr_assert_eq(zc_compile(t->z, &p, size, err, sizeof err), 0, "%s", err);
	*img = p;
}

Test(snap, every_flip_and_truncation_refused)
{
	struct zt t;
	uint8_t *img;
	size_t size;
	char err[256];
	compile_text(hostile_zone, &img, &size, &t);
	cr_assert_eq(try_open(img, size, err, sizeof err), 0, "%s", err);
	for (size_t i = 0; i < size; i++) {
		for (int m = 0; m < 3; m++) {
			static const uint8_t masks[] = { 0x01, 0x80, 0xff };
			img[i] ^= masks[m];
			cr_assert_eq(try_open(img, size, err, sizeof err), -1,
				     "flip %#x at byte %zu accepted", masks[m], i);
			img[i] ^= masks[m];
		}
	}
	for (size_t len = 0; len < size; len++)
		cr_assert_eq(try_open(img, len, err, sizeof err), -1,
			     "truncation to %zu accepted", len);
	free(img);
	zt_free(&t);
}

/* A copy of the image with one field patched and the checksums redone. */
struct patch {
	uint8_t *img;
	size_t size;
	struct snap_header *h;
	struct snap_node *nodes;
	struct snap_rrset **rrsets;	/* every RRset entry, in node order */
	uint64_t *buckets;
	struct snap_nsec3 *nsec3;
};

static void patch_begin(struct patch *p, const uint8_t *img, size_t size)
{
	p->img = malloc(size);
	memcpy(p->img, img, size);
	p->size = size;
	p->h = (struct snap_header *)p->img;
	p->nodes = (struct snap_node *)(p->img + p->h->nodes);
	p->rrsets = malloc((p->h->nrrsets + 1) * sizeof *p->rrsets);
	for (uint32_t i = 0, k = 0; i < p->h->nnodes; i++) {
		uint32_t blk = p->nodes[i].name - (uint32_t)sizeof(struct snap_block);
		for (unsigned j = 0; j < snap_block_at(p->img, blk)->nrrsets; j++)
			p->rrsets[k++] = (struct snap_rrset *)(p->img +
				snap_block_rrsets(p->img, blk)) + j;
	}
	p->buckets = (uint64_t *)(p->img + p->h->buckets);
	p->nsec3 = (struct snap_nsec3 *)(p->img + p->h->nsec3);
}

static void patch_refused(struct patch *p, const char *what, const char *msg)
{
	char err[256];
	reseal(p->img, p->size);
	cr_assert_eq(try_open(p->img, p->size, err, sizeof err), -1,
		     "hostile image accepted: %s", what);
	if (msg)
		cr_assert(strstr(err, msg), "%s: '%s' lacks '%s'", what, err, msg);
	free(p->img);
	free(p->rrsets);
}

/* Node i's block head, to patch. */
static struct snap_block *head(const struct patch *p, uint32_t i)
{
	return (struct snap_block *)(p->img + p->nodes[i].name - sizeof(struct snap_block));
}

static uint32_t find_node(const struct patch *p, const char *name)
{
	const uint8_t *w = wire(name);
	for (uint32_t i = 0; i < p->h->nnodes; i++)
		if (dname_eq(p->img + p->nodes[i].name, w))
			return i;
	cr_assert_fail("no node %s", name);
	return 0;
}

/* The RRset of type at name. */
static uint32_t find_rr(const struct patch *p, const char *name, uint16_t type)
{
	uint32_t ni = find_node(p, name), first = 0;
	for (uint32_t i = 0; i < ni; i++)
		first += head(p, i)->nrrsets;
	for (uint32_t k = first; k < first + head(p, ni)->nrrsets; k++)
		if (p->rrsets[k]->type == type)
			return k;
	cr_assert_fail("no rrset of type %u at %s", type, name);
	return 0;
}

static uint32_t find_type(const struct patch *p, uint16_t type)
{
	for (uint32_t i = 0; i < p->h->nrrsets; i++)
		if (p->rrsets[i]->type == type)
			return i;
	cr_assert_fail("no rrset of type %u", type);
	return 0;
}

/* Hostile images: one field of a valid image patched (then resealed, so
 * that the checksum passes), each refused with a message naming what is
 * wrong.  The image, compiled once per test. */
static struct hostile {
	struct zt t;
	uint8_t *img;
	size_t size;
} hz;

static void hostile_begin(void)
{
	compile_text(hostile_zone, &hz.img, &hz.size, &hz.t);
}

static void hostile_end(void)
{
	free(hz.img);
	zt_free(&hz.t);
}

/* Patches a fresh copy of the image with stmt (p: the copy; last: its last
 * node; www: the RRset www.example.com. A) and checks it is refused with
 * msg in the error (NULL: any). */
#define PATCH(what, msg, stmt)                                       \
	do {                                                         \
		struct patch p;                                      \
		patch_begin(&p, hz.img, hz.size);                    \
		uint32_t last = p.h->nnodes - 1;                     \
		uint32_t www = find_rr(&p, "www.example.com.", RR_A); \
		(void)last;                                          \
		(void)www;                                           \
		stmt;                                                \
		patch_refused(&p, what, msg);                        \
	} while (0)

Test(snap, hostile_unpatched_opens, .init = hostile_begin, .fini = hostile_end)
{
	/* The unpatched image resealed opens: the patches are what fails. */
	struct patch p;
	char err[256];
	patch_begin(&p, hz.img, hz.size);
	reseal(p.img, p.size);
	cr_assert_eq(try_open(p.img, p.size, err, sizeof err), 0, "%s", err);
	cr_assert(p.h->flags & SNAP_F_NSEC3);
	cr_assert_eq(p.h->nnsec3, 2);
	free(p.img);
	free(p.rrsets);
}

/* The header: magic, version, sizes, table offsets and counts, the apex,
 * origin, SOA, NSEC3 parameters and table. */
Test(snap, hostile_header_refused, .init = hostile_begin, .fini = hostile_end)
{
	size_t size = hz.size;
	PATCH("magic", "magic", p.h->magic ^= 1);
	PATCH("version", "version", p.h->version = SNAP_VERSION + 1);
	PATCH("header size", "header size", p.h->header_size = 8);
	PATCH("image size", "image size", p.h->image_size += 8);
	PATCH("nodes offset unaligned", "aligned", p.h->nodes += 4);
	PATCH("nodes past the end", "out of bounds", p.h->nodes = (uint32_t)size - 8);
	PATCH("nodes in the header", "out of bounds", p.h->nodes = 0);
	PATCH("node count huge", "out of bounds", p.h->nnodes = 0x7fffffff);
	PATCH("no nodes", NULL, p.h->nnodes = 0);
	PATCH("rrset count", "rrsets in the blocks", p.h->nrrsets += 1000);
	PATCH("rrsets offset wraps", NULL, p.h->rrsets = 0xfffffff8u);
	PATCH("hash mask not 2^n-1", "hash mask", p.h->hash_mask -= 1);
	PATCH("hash mask too small", "hash mask", p.h->hash_mask = 1);
	PATCH("buckets past the end", NULL, p.h->buckets = (uint32_t)size - 16);
	PATCH("data past the end", "data area", p.h->data_size += 8);
	PATCH("data short", "data area", p.h->data_size -= 8);
	PATCH("apex not 0", "apex", p.h->apex = 1);
	PATCH("origin offset", NULL, p.h->origin = (uint32_t)size + 1);
	PATCH("origin labels", "origin", p.h->origin_labels = 3);
	PATCH("soa index", "soa", p.h->soa = p.h->nrrsets);
	PATCH("soa not soa", "soa",
	      p.h->soa = (uint32_t)((uint8_t *)p.rrsets[find_type(&p, RR_A)] - p.img));
	PATCH("soa between entries", "soa", p.h->soa += 4);
	PATCH("nsec3 count", NULL, p.h->nnsec3 += 100000);
	PATCH("nsec3 hash len", "NSEC3", p.h->nsec3_hash_len = 32);
	PATCH("nsec3 alg", "NSEC3", p.h->nsec3_alg = 2);
	/* RFC 5155 §10.3's ceiling: more iterations made every NXDOMAIN
	 * cost tens of thousands of hashes (the fuzz_snapshot target found
	 * an image whose queries took seconds) */
	PATCH("nsec3 iterations", "NSEC3", p.h->nsec3_iter = SNAP_NSEC3_ITER_MAX + 1);
	PATCH("nsec3 node", "nsec3", p.nsec3[0].node = p.h->nnodes);
	PATCH("nsec3 unsorted", "sorted",
	      memset(p.nsec3[0].hash, 0xff, 20));
}

/* The nodes and their blocks: names, labels, parents, cuts, flags. */
Test(snap, hostile_nodes_refused, .init = hostile_begin, .fini = hostile_end)
{
	size_t size = hz.size;
	PATCH("node name offset", "name", p.nodes[1].name = (uint32_t)size);
	PATCH("node name offset in header", "name", p.nodes[1].name = 8);
	PATCH("node name to the last byte", "name", p.nodes[last].name = p.h->data + p.h->data_size - 1);
	PATCH("node name malformed", "name",
	      p.img[p.nodes[1].name] = 0x40);
	PATCH("node name_len", "length", head(&p, 1)->name_len++);
	PATCH("node labels", "labels", head(&p, 1)->labels++);
	PATCH("parent loop", "parent", p.nodes[1].parent = 1);
	PATCH("parent forward", "parent", p.nodes[1].parent = last);
	PATCH("parent none", "parent", p.nodes[1].parent = SNAP_NONE);
	PATCH("parent wrong depth", "parent",
	      p.nodes[find_node(&p, "a.b.c.example.com.")].parent = 0);
	PATCH("apex parent", "apex", p.nodes[0].parent = 0);
	PATCH("apex flag", "apex", head(&p, 0)->flags = 0);
	/* the engine takes a hashed owner's parent: the apex is none (the
	 * fuzz_overlay target found one, which crashed the engine) */
	PATCH("apex a hashed owner", "apex", head(&p, 0)->flags |= SNAP_N_NSEC3);
	PATCH("cut index", "cut", p.nodes[1].cut = p.h->nnodes);
	PATCH("cut missing", "cut", head(&p, 1)->flags |= SNAP_N_CUT);
	PATCH("node nrrsets", "rrsets", head(&p, last)->nrrsets = 0xffff);
	PATCH("block head nrrsets", "rrsets in the blocks", head(&p, last)->nrrsets = 0);
	PATCH("block head node", "block head", head(&p, 1)->node = 2);
	PATCH("apex flag on another node", "inconsistent", head(&p, 1)->flags ^= SNAP_N_APEX);
	PATCH("block misaligned", "misaligned", p.nodes[1].name += 2);
	PATCH("block head before the data area", "block", p.nodes[0].name = p.h->data + 4);
	PATCH("bucket to the middle of a block", "reachable", {
		for (uint32_t i = 0;; i++)
			if (p.buckets[i]) {
				p.buckets[i] += 4;
				break;
			}
	});
}

/* The RRsets: order, records, counts, pre-encoded answers, signatures. */
Test(snap, hostile_rrsets_refused, .init = hostile_begin, .fini = hostile_end)
{
	size_t size = hz.size;
	PATCH("node nsec3 index", "nsec3", p.nodes[1].nsec3 = p.h->nnsec3);
	PATCH("rrsets unsorted", "sorted", p.rrsets[www]->type = 20);
	PATCH("rdata offset", "out of bounds", p.rrsets[0]->rdata = (uint32_t)size - 2);
	PATCH("rdata in the tables", "out of bounds", p.rrsets[0]->rdata = p.h->nodes);
	PATCH("rdata_len long", NULL, p.rrsets[0]->rdata_len += 1);
	PATCH("rdata_len short", NULL, p.rrsets[0]->rdata_len -= 1);
	PATCH("rdata_len huge", "out of bounds", p.rrsets[0]->rdata_len = 0xffffffff);
	PATCH("count up", "past the end", p.rrsets[www]->count++);
	PATCH("count down", "fill", p.rrsets[www]->count--);
	PATCH("count zero", "empty", p.rrsets[0]->count = 0);
	PATCH("rdlength", NULL, p.img[p.rrsets[www]->rdata + 1] = 5);
	PATCH("MX name malformed", "malformed",
	      p.img[p.rrsets[find_rr(&p, "www.example.com.", RR_MX)]->rdata + 4] = 60);
	PATCH("sigs past the end", "out of bounds", p.rrsets[www]->sigs_len = (uint32_t)size);
	PATCH("sigs after a huge answer", "out of bounds", p.rrsets[www]->resp = 0xffff);
	PATCH("pre-encoded answer past the end", "pre-encoded",
	      p.rrsets[find_rr(&p, "www.example.com.", RR_MX)]->resp = 0xffff);
	PATCH("pre-encoded answer too short", "pre-encoded",
	      p.rrsets[find_rr(&p, "www.example.com.", RR_MX)]->resp = 1);
	PATCH("pre-encoded answer on the last RRset", "pre-encoded",
	      p.rrsets[p.h->nrrsets - 1]->resp = 0x8000);
	PATCH("pre-encoded answer with DNSSEC past its start", "with DNSSEC", {
		const struct snap_rrset *mx = p.rrsets[find_rr(&p, "www.example.com.", RR_MX)];
		uint8_t *pre = p.img + mx->rdata + mx->rdata_len;
		pre[1] |= SNAP_RESP_DO >> 8;
		pre[mx->resp - 2] = pre[mx->resp - 1] = 0xff;
	});
	PATCH("nsigs", NULL, p.rrsets[www]->nsigs++);
	PATCH("sigs_len", NULL, p.rrsets[www]->sigs_len--);
	PATCH("sig covers another type", "covers",
	      p.img[snap_rrset_sigs(p.rrsets[www]) + 3] = RR_MX);
}

/* The fragment of the referral at sub.example.com. (zones/frag.h), to
 * patch. */
static uint8_t *ref_frag(const struct patch *p)
{
	const struct snap_rrset *ns = p->rrsets[find_rr(p, "sub.example.com.", RR_NS)];
	cr_assert_neq(ns->resp, 0);
	return p->img + ns->rdata + ns->rdata_len;
}

/* The NSEC3 table's links and the pre-encoded referrals. */
Test(snap, hostile_precomputed_refused, .init = hostile_begin, .fini = hostile_end)
{
	PATCH("nsec3 block", "block", p.nsec3[0].block += 4);
	PATCH("nsec3 wildcard entry", "wildcard", p.nsec3[1].wild = p.h->nnsec3);
	PATCH("referral length", "referral", ref_frag(&p)[4]++);
	PATCH("referral pointer", "referral", {
		uint8_t *f = ref_frag(&p);
		cr_assert_gt(f[8], 0);
		f[FRAG_HEAD] = f[FRAG_HEAD + 1] = 0xff;
	});
	PATCH("referral label list", "referral", ref_frag(&p)[11]++);
	PATCH("referral NSEC3 owner", "referral", ref_frag(&p)[12] = 4);
}

/* The hash table. */
Test(snap, hostile_buckets_refused, .init = hostile_begin, .fini = hostile_end)
{
	PATCH("bucket node out of range", "reachable", {
		for (uint32_t i = 0;; i++)
			if (p.buckets[i]) {
				p.buckets[i] = (p.buckets[i] & ~0xffffffffull) |
					       (p.h->nnodes + 1);
				break;
			}
	});
	PATCH("bucket duplicate", NULL, {
		uint64_t e = 0;
		for (uint32_t i = 0;; i++)
			if (p.buckets[i] && !e)
				e = p.buckets[i];
			else if (!p.buckets[i] && e) {
				p.buckets[i] = e;
				break;
			}
	});
	PATCH("bucket missing", NULL, {
		for (uint32_t i = 0;; i++)
			if (p.buckets[i]) {
				p.buckets[i] = 0;
				break;
			}
	});
	PATCH("bucket wrong hash", "reachable", {
		for (uint32_t i = 0;; i++)
			if (p.buckets[i]) {
				p.buckets[i] ^= 1ull << 40;
				break;
			}
	});
	PATCH("table full", "full", {
		for (uint32_t i = 0; i <= p.h->hash_mask; i++)
			if (!p.buckets[i])
				p.buckets[i] = p.buckets[(i + 1) & p.h->hash_mask]
					       ? p.buckets[(i + 1) & p.h->hash_mask]
					       : 1;
	});
}

/* Random patches of a resealed image: refused or served without a read
 * out of bounds (ASan) or a hang. */
Test(snap, random_resealed_patches)
{
	struct zt t;
	uint8_t *img;
	size_t size;
	char err[256];
	compile_text(hostile_zone, &img, &size, &t);
	uint8_t *copy = malloc(size);
	uint64_t x = 7;
	int opened = 0;
	for (int round = 0; round < 20000; round++) {
		memcpy(copy, img, size);
		for (int k = 0; k < 1 + round % 4; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = (size_t)(x >> 20) % size;
			copy[at] = (uint8_t)(x >> 56);
		}
		reseal(copy, size);
		opened += try_open(copy, size, err, sizeof err) == 0;
	}
	cr_log_info("%d of 20000 random patches opened", opened);
	free(copy);
	free(img);
	zt_free(&t);
}

Test(snap, checksum)
{
	static uint8_t buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7);
	uint64_t base = snap_checksum(buf, sizeof buf);
	cr_assert_eq(base, snap_checksum(buf, sizeof buf));
	for (size_t n = 0; n < sizeof buf; n++)
		cr_assert_neq(snap_checksum(buf, n), base);
	/* Zero bytes appended still change it (the length is mixed in). */
	static uint8_t z[64];
	for (size_t n = 1; n < sizeof z; n++)
		cr_assert_neq(snap_checksum(z, n), snap_checksum(z, n - 1));
}

Test(snap, misaligned_image_refused)
{
	struct zt t;
	uint8_t *img;
	size_t size;
	char err[256];
	struct snap *s;
	compile_text(hostile_zone, &img, &size, &t);
	uint8_t *b = malloc(size + 8);
	memcpy(b + 4, img, size);
	cr_assert_eq(snap_open(b + 4, size, &s, err, sizeof err), -1);
	cr_assert(strstr(err, "aligned"));
	free(b);
	free(img);
	zt_free(&t);
}

/* --------------------------------------------------------------- zidx */

Test(snap, zone_index_longest_match)
{
	struct cz a, b, r;
	cz_load(&a, "example.com", HEAD "www A 198.51.100.2\nsub NS ns.sub\nns.sub A 192.0.2.1\n");
	cz_load(&b, "sub.example.com", HEAD "www A 198.51.100.3\n");
	cz_load(&r, "example.org", HEAD);
	struct snap *zones[] = { a.s, b.s, r.s, a.s };
	struct zidx *ix = zidx_new(zones, 4);
	cr_assert_not_null(ix);
	cr_assert_eq(zidx_find(ix, wire("example.com.")), a.s);
	cr_assert_eq(zidx_find(ix, wire("WWW.Example.Com.")), a.s);
	cr_assert_eq(zidx_find(ix, wire("sub.example.com.")), b.s);
	cr_assert_eq(zidx_find(ix, wire("a.b.www.sub.EXAMPLE.com.")), b.s);
	cr_assert_eq(zidx_find(ix, wire("xsub.example.com.")), a.s);
	cr_assert_eq(zidx_find(ix, wire("x.example.org.")), r.s);
	cr_assert_null(zidx_find(ix, wire("com.")));
	cr_assert_null(zidx_find(ix, wire(".")));
	cr_assert_null(zidx_find(ix, wire("example.net.")));
	cr_assert_null(zidx_find(ix, wire("a.b.c.d.e.f.g.h.i.j.k.l.m.")));
	zidx_free(ix);

	struct zidx *empty = zidx_new(NULL, 0);
	cr_assert_null(zidx_find(empty, wire("example.com.")));
	cr_assert_null(zidx_find(empty, wire(".")));
	zidx_free(empty);
	cz_free(&a);
	cz_free(&b);
	cz_free(&r);
}

Test(snap, root_zone_index)
{
	struct cz root;
	cz_load(&root, ".", "$TTL 300\n. SOA a.root. h.root. 1 1 1 1 1\n. NS a.root.\n"
		"a.root. A 192.0.2.1\ncom. NS a.gtld.com.\na.gtld.com. A 192.0.2.2\n");
	struct snap *zones[] = { root.s };
	struct zidx *ix = zidx_new(zones, 1);
	cr_assert_eq(zidx_find(ix, wire("www.example.com.")), root.s);
	cr_assert_eq(zidx_find(ix, wire(".")), root.s);
	uint32_t i;
	cr_assert_not(snap_find(root.s, wire("www.example.com."), &i));
	cr_assert_str_eq(text(snap_at(root.s, snap_nodes(root.s)[i].name)), "com.");
	cr_assert(flags_of(&root, &snap_nodes(root.s)[i]) & SNAP_N_CUT);
	check_order(&root);
	zidx_free(ix);
	cz_free(&root);
}
