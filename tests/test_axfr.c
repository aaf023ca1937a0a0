/*
 * test_axfr.c - zone transfer messages written from a snapshot image
 * (control/axfr.h, RFC 5936 §2.2): the header of every message, the
 * question in the first only, the SOA first and last, every record of the
 * zone as loaded exactly once (RRSIGs with the TTL of the zone), RRsets
 * followed by their signatures, owners in canonical order and in the
 * zone's case, the size limit, and the failures (a record too big, a bad
 * size, a receiver that stops).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/axfr.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/wire.h"
#include "tests/dnsmsg.h"
#include "tests/zt.h"

#define SIG(owner, ttl, cov) \
	owner " " ttl " RRSIG " cov " 8 2 300 20300101000000 20200101000000 4711 example.com. AAAA\n"
#define H1 "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"
#define H2 "2t7b4g4vsa5smi47k61mv5bv1a22bojr"
#define RD_FLAG 0x0100

/* Every kind of name and record an image holds: apex data, compressible
 * rdata, a signed RRset whose signature has a TTL of its own, stray
 * signatures (TXT, CAA: no such RRsets at www), empty non-terminals (b.c,
 * c, wild), wildcards, a delegation with glue and occluded data below it,
 * NSEC3 owners, a mixed-case owner.  full_zone adds 300 TXT records at
 * one name. */
static const char ZONE[] =
	"$TTL 300\n"
	"@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 60\n"
	"@ NS ns1\n"
	"@ NS ns2.example.net.\n"
	"@ MX 10 mail\n"
	"@ MX 20 mail.example.net.\n"
	"@ TXT \"v=spf1 -all\"\n"
	"@ DNSKEY 257 3 8 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LU\n"
	"@ 0 NSEC3PARAM 1 0 0 -\n"
	SIG("@", "300", "SOA") SIG("@", "300", "NS") SIG("@", "300", "DNSKEY")
	SIG("@", "0", "NSEC3PARAM")
	"ns1 A 198.51.100.1\n"
	"ns1 AAAA 2001:db8::53\n"
	"mail 600 A 198.51.100.25\n"
	"mail 600 AAAA 2001:db8::25\n"
	"MiXeD.Case TXT \"owner spelt in mixed case\"\n"
	"www A 198.51.100.80\n"
	"www A 198.51.100.81\n"
	SIG("www", "120", "A") SIG("www", "300", "CAA") SIG("www", "300", "TXT")
	"a.b.c 3600 A 192.0.2.9\n"
	"* A 192.0.2.10\n"
	"*.wild TXT \"wildcard\"\n"
	"sub NS ns.sub\n"
	"sub NS ns.example.net.\n"
	"sub DS 12345 8 2 "
	"3490a6806d47f17a34c29e2ce80e8a999ffb4be8aa7e6a4c9b0e0c2a0e0e0e0e\n"
	SIG("sub", "300", "DS")
	"ns.sub A 192.0.2.53\n"
	"ns.sub AAAA 2001:db8::5353\n"
	"deep.ns.sub TXT \"occluded\"\n"
	H1 " 60 NSEC3 1 0 0 - " H2 " A AAAA RRSIG\n"
	SIG(H1, "60", "NSEC3")
	H2 " 60 NSEC3 1 0 0 - " H1 " NS SOA MX TXT DNSKEY NSEC3PARAM RRSIG\n";

/* ------------------------------------------------------------ helpers */

/* ZONE and 300 TXT records at big (together well over 4096 bytes). */
static char *full_zone(void)
{
	size_t cap = sizeof ZONE + 300 * 128;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t len = (size_t)snprintf(buf, cap, "%s", ZONE);
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(buf + len, cap - len,
			"big TXT \"record %03d of a large RRset, padded out to span messages\"\n", i);
	return buf;
}

/* The messages emit received (copies); stop_at: refuse that one (1-based). */
struct msgs {
	uint8_t **m;
	size_t *len;
	size_t n, cap;
	size_t stop_at;
	size_t calls;
};

static int collect(void *ud, const uint8_t *msg, size_t len)
{
	struct msgs *ms = ud;
	if (++ms->calls == ms->stop_at)
		return 1;
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? 2 * ms->cap : 16;
		ms->m = realloc(ms->m, ms->cap * sizeof *ms->m);
		ms->len = realloc(ms->len, ms->cap * sizeof *ms->len);
		cr_assert(ms->m && ms->len);
	}
	ms->m[ms->n] = malloc(len);
	cr_assert_not_null(ms->m[ms->n]);
	memcpy(ms->m[ms->n], msg, len);
	ms->len[ms->n++] = len;
	return 0;
}

static void msgs_free(struct msgs *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->m[i]);
	free(ms->m);
	free(ms->len);
	memset(ms, 0, sizeof *ms);
}

/* The query: EXAMPLE.com. AXFR (the client's case, echoed). */
static const uint8_t QNAME[] = "\7EXAMPLE\3com";

static struct axfr_query query(uint16_t id, uint16_t flags)
{
	return (struct axfr_query){ .id = id, .qname = QNAME, .qname_len = sizeof QNAME,
				    .qtype = RR_AXFR, .qclass = RR_CLASS_IN, .flags = flags };
}

/* Lines "owner TTL CLASS TYPE RDATA", owner lowercased: dnsmsg's form. */
struct lines {
	char **v;
	size_t n, cap;
};

static void lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		cr_assert_not_null(l->v);
	}
	l->v[l->n] = strdup(s);
	cr_assert_not_null(l->v[l->n]);
	l->n++;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int expect_rr(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *rd, uint16_t rdlen)
{
	static char text[5 * 65536 + 2048];
	cr_assert_eq(dm_rr_text(owner, ttl, RR_CLASS_IN, type, rd, rdlen, text, sizeof text), 0);
	lines_add(ud, text);
	if (type == RR_SOA)	/* sent first and last */
		lines_add(ud, text);
	return 0;
}

/* The zone's records as loaded, the SOA twice, sorted. */
static void expected(struct zt_cz *c, struct lines *want)
{
	cr_assert_eq(zone_foreach(c->t.z, expect_rr, want), 0);
	qsort(want->v, want->n, sizeof *want->v, cmp_str);
}

/* --------------------------------------------------- checking messages */

/* The header and question of message i (dm_parse), its records into got. */
static void check_message(const struct msgs *ms, size_t i, const struct axfr_query *q,
			  size_t msg_max, struct lines *got)
{
	struct dm_resp r;
	cr_assert_leq(ms->len[i], msg_max, "message %zu: %zu > %zu bytes", i, ms->len[i],
		      msg_max);
	dm_parse(ms->m[i], ms->len[i], &r);
	cr_assert(r.ok, "message %zu: %s", i, r.err);
	cr_assert_eq(r.id, q->id);
	cr_assert(r.qr && r.aa && !r.tc && !r.ra && !r.ad && !r.cd && !r.z);
	cr_assert_eq(r.rd, (q->flags & RD_FLAG) != 0);
	cr_assert_eq(r.opcode, 0);
	cr_assert_eq(r.rcode, 0);
	cr_assert_eq(r.nopt, 0);
	cr_assert_eq(r.nrr[DM_NS] + r.nrr[DM_AR], 0);
	cr_assert_gt(r.nrr[DM_AN], 0, "message %zu is empty", i);
	cr_assert_eq(r.qdcount, i == 0 ? 1u : 0u, "message %zu", i);
	if (i == 0) {
		cr_assert_str_eq(r.qname, "EXAMPLE.com.");
		cr_assert_eq(r.qtype, RR_AXFR);
		cr_assert_eq(r.qclass, RR_CLASS_IN);
	}
	for (size_t k = 0; k < r.nrr[DM_AN]; k++)
		lines_add(got, r.rr[DM_AN][k]);
	dm_resp_free(&r);
}

/* The records of the stream in order, as the walk below sees them. */
struct walk {
	struct zt_cz *c;
	uint8_t apex[DNAME_MAX];
	uint8_t prev[DNAME_MAX];	/* owner of the previous record */
	uint16_t prev_type, prev_cov;
	size_t n;			/* records so far */
	size_t runs;			/* runs of records with one owner */
	bool done;			/* the closing SOA was seen */
};

static bool has_rrset(struct zt_cz *c, const uint8_t *owner, uint16_t type)
{
	char name[DNAME_TEXT_MAX];
	dname_to_text(name, sizeof name, owner);
	return zt_count(&c->t, name, type, NULL, NULL) > 0;
}

/* One record: SOA first and last; owners in runs, in canonical order;
 * each RRSIG right after the RRset it covers (or stray: none there). */
static void walk_rr(struct walk *w, const uint8_t *owner, uint16_t type, uint16_t cov)
{
	bool same = w->n > 0 && dname_eq(owner, w->prev);
	cr_assert(!w->done, "record after the closing SOA");
	if (w->n == 0)
		cr_assert(type == RR_SOA && dname_eq(owner, w->apex), "first record not the SOA");
	else if (type == RR_SOA)
		w->done = true;
	if (!same) {
		w->runs++;
		cr_assert(w->n == 0 || w->done || dname_canon_cmp(w->prev, owner) < 0,
			  "owners out of canonical order");
	}
	if (type == RR_RRSIG && !(same && (w->prev_type == cov ||
					   (w->prev_type == RR_RRSIG && w->prev_cov == cov))))
		cr_assert(!has_rrset(w->c, owner, cov), "RRSIG %u away from its RRset", cov);
	memcpy(w->prev, owner, dname_len(owner));
	w->prev_type = type;
	w->prev_cov = cov;
	w->n++;
}

/* Walks the answer records of one message in the order written. */
static void walk_message(struct walk *w, const uint8_t *msg, size_t len)
{
	struct wire_cur c;
	uint8_t name[DNAME_MAX];
	wire_init(&c, msg, len);
	wire_skip(&c, 4);
	unsigned qd = wire_u16(&c), an = wire_u16(&c);
	wire_skip(&c, 4);
	for (unsigned i = 0; i < qd; i++) {
		cr_assert_geq(dname_unpack(&c, msg, len, name), 0);
		wire_skip(&c, 4);
	}
	for (unsigned i = 0; i < an; i++) {
		cr_assert_geq(dname_unpack(&c, msg, len, name), 0);
		uint16_t type = wire_u16(&c);
		wire_skip(&c, 6);
		uint16_t rdlen = wire_u16(&c);
		const uint8_t *rd = wire_take(&c, rdlen);
		cr_assert(wire_ok(&c) && rd);
		uint16_t cov = type == RR_RRSIG ? (uint16_t)(rd[0] << 8 | rd[1]) : 0;
		walk_rr(w, name, type, cov);
	}
	cr_assert(wire_done(&c));
}

static void check_order(struct zt_cz *c, const struct msgs *ms)
{
	struct walk w = { .c = c };
	memcpy(w.apex, snap_origin(c->s), dname_len(snap_origin(c->s)));
	for (size_t i = 0; i < ms->n; i++)
		walk_message(&w, ms->m[i], ms->len[i]);
	cr_assert(w.done, "no closing SOA");
	/* one run per name with records, the apex's twice */
	cr_assert_eq(w.runs, c->t.st.names + 1, "%zu runs for %zu names", w.runs,
		     c->t.st.names);
}

/* got (the records of all messages) equals want, as multisets. */
static void check_records(struct lines *got, const struct lines *want)
{
	qsort(got->v, got->n, sizeof *got->v, cmp_str);
	for (size_t i = 0; i < got->n && i < want->n; i++)
		cr_assert_str_eq(got->v[i], want->v[i], "record %zu differs", i);
	cr_assert_eq(got->n, want->n, "%zu records sent, %zu in the zone", got->n, want->n);
}

/* Transfers c at msg_max and checks everything; returns the messages. */
static long transfer_checked(struct zt_cz *c, size_t msg_max, uint16_t flags,
			     struct msgs *ms)
{
	char err[256] = "";
	struct axfr_query q = query(0xbeef, flags);
	long n = axfr_write(c->s, &q, msg_max, collect, ms, err, sizeof err);
	cr_assert_gt(n, 0, "%s", err);
	cr_assert_eq((size_t)n, ms->n);
	struct lines got = { 0 }, want = { 0 };
	for (size_t i = 0; i < ms->n; i++)
		check_message(ms, i, &q, msg_max, &got);
	expected(c, &want);
	check_records(&got, &want);
	check_order(c, ms);
	lines_free(&got);
	lines_free(&want);
	return n;
}

static bool contains(const struct msgs *ms, const void *bytes, size_t n)
{
	for (size_t i = 0; i < ms->n; i++)
		if (memmem(ms->m[i], ms->len[i], bytes, n))
			return true;
	return false;
}

/* --------------------------------------------------------------- tests */

static size_t total_bytes(const struct msgs *ms)
{
	size_t t = 0;
	for (size_t i = 0; i < ms->n; i++)
		t += ms->len[i];
	return t;
}

static void whole_zone(size_t msg_max, uint16_t flags, long min_msgs)
{
	char *text = full_zone();
	struct zt_cz c;
	struct msgs ms = { 0 };
	zt_cz_load(&c, "example.com", text);
	long n = transfer_checked(&c, msg_max, flags, &ms);
	cr_assert_geq(n, min_msgs, "%ld messages of at most %zu bytes", n, msg_max);
	cr_assert_geq((size_t)n, (total_bytes(&ms) + msg_max - 1) / msg_max);
	/* owners in the zone's spelling; the apex SOA not a pointer to the
	 * client's "EXAMPLE.com." */
	cr_assert(contains(&ms, "\5MiXeD\4Case", 11));
	size_t after_q = 12 + sizeof QNAME + 4;
	cr_assert(memcmp(ms.m[0] + after_q, "\7example\3com", 13) == 0);
	msgs_free(&ms);
	zt_cz_free(&c);
	free(text);
}

Test(axfr, whole_zone_one_message)
{
	whole_zone(65535, 0, 1);
}

Test(axfr, whole_zone_4096)
{
	/* the 300 TXT records alone are over 20 KB */
	whole_zone(4096, RD_FLAG, 6);
}

Test(axfr, whole_zone_512)
{
	whole_zone(512, 0, 40);
}

/* A record that no message of msg_max holds fails the transfer, naming
 * it; a bigger message takes it. */
Test(axfr, record_too_big)
{
	static char text[4096];
	char s200[201];
	memset(s200, 'x', 200);
	s200[200] = 0;
	snprintf(text, sizeof text,
		 "$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n@ NS ns1\n"
		 "ns1 A 198.51.100.1\nBig TXT \"%s\" \"%s\" \"%s\"\nzz A 192.0.2.1\n",
		 s200, s200, s200);
	struct zt_cz c;
	zt_cz_load(&c, "example.com", text);
	struct msgs ms = { 0 };
	char err[256] = "";
	struct axfr_query q = query(7, 0);
	cr_assert_eq(axfr_write(c.s, &q, 512, collect, &ms, err, sizeof err), -1);
	cr_assert_str_eq(err, "record Big.example.com./TXT does not fit a 512-byte message");
	/* what came before it went out, nothing after */
	cr_assert_eq(ms.n, 1);
	msgs_free(&ms);
	cr_assert_eq(transfer_checked(&c, 1024, 0, &ms), 1);
	msgs_free(&ms);
	zt_cz_free(&c);
}

Test(axfr, message_size_bounds)
{
	struct zt_cz c;
	zt_cz_load(&c, "example.com", ZONE);
	struct msgs ms = { 0 };
	char err[256] = "";
	struct axfr_query q = query(7, 0);
	cr_assert_eq(axfr_write(c.s, &q, 511, collect, &ms, err, sizeof err), -1);
	cr_assert_str_eq(err, "message size 511 outside 512..65535");
	cr_assert_eq(axfr_write(c.s, &q, 65536, collect, &ms, err, sizeof err), -1);
	cr_assert_str_eq(err, "message size 65536 outside 512..65535");
	cr_assert_eq(ms.calls, 0);
	cr_assert_eq(transfer_checked(&c, 512, 0, &ms), (long)ms.n);
	msgs_free(&ms);
	zt_cz_free(&c);
}

/* emit returning non-zero ends the transfer at once. */
Test(axfr, receiver_stops)
{
	char *text = full_zone();
	struct zt_cz c;
	zt_cz_load(&c, "example.com", text);
	struct msgs ms = { .stop_at = 2 };
	char err[256] = "";
	struct axfr_query q = query(7, 0);
	cr_assert_eq(axfr_write(c.s, &q, 4096, collect, &ms, err, sizeof err), -1);
	cr_assert_str_eq(err, "transfer stopped by the receiver at message 2");
	cr_assert_eq(ms.calls, 2);
	cr_assert_eq(ms.n, 1);
	msgs_free(&ms);
	/* and on the very last message */
	struct msgs all = { 0 };
	long n = axfr_write(c.s, &q, 4096, collect, &all, err, sizeof err);
	cr_assert_gt(n, 1);
	msgs_free(&all);
	ms = (struct msgs){ .stop_at = (size_t)n };
	cr_assert_eq(axfr_write(c.s, &q, 4096, collect, &ms, err, sizeof err), -1);
	cr_assert_eq(ms.calls, (size_t)n);
	msgs_free(&ms);
	zt_cz_free(&c);
	free(text);
}

/* 20000 names: every record sent once, in order, across many messages. */
Test(axfr, large_zone, .timeout = 120)
{
	enum { NAMES = 20000 };
	size_t cap = 256 + (size_t)NAMES * 96;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	size_t len = (size_t)snprintf(text, cap, "$TTL 300\n"
		"@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n@ NS ns1\nns1 A 198.51.100.1\n");
	for (int i = 0; i < NAMES; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"h%05d.g%02d A 10.%d.%d.%d\nh%05d.g%02d MX 10 h%05d.g%02d\n",
			i, i % 50, i >> 16, (i >> 8) & 255, i & 255, i, i % 50,
			(i + 1) % NAMES, (i + 1) % 50);
	struct zt_cz c;
	zt_cz_load(&c, "example.com", text);
	cr_assert_eq(c.t.st.records, 3 + 2 * (size_t)NAMES);
	struct msgs ms = { 0 };
	long n = transfer_checked(&c, 65535, 0, &ms);
	size_t an = 0;
	for (size_t i = 0; i < ms.n; i++)
		an += (size_t)(ms.m[i][6] << 8 | ms.m[i][7]);
	cr_assert_eq(an, c.t.st.records + 1);
	cr_assert_geq(n, 10);
	msgs_free(&ms);
	zt_cz_free(&c);
	free(text);
}
