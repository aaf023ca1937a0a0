/*
 * test_rrl.c - response rate limiting (dataplane/rrl.h): the bucket's
 * arithmetic over simulated time, client prefixes, response classes read
 * from the engine's real responses, slip cadence, truncation, allow-list,
 * cookies, log-only, and workers on several threads sharing one table.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/stats.h"
#include "dataplane/answer.h"
#include "dataplane/rrl.h"
#include "tests/dnsmsg.h"
#include "tests/zt.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/wire.h"

static struct rrl_conf conf(unsigned rate, unsigned slip)
{
	return (struct rrl_conf){ .rate = rate, .slip = slip, .v4_prefix = 24, .v6_prefix = 56,
				  .table_size = 4096, .seed = 42 };
}

static struct rrl *mk(const struct rrl_conf *c)
{
	char err[256] = "";
	struct rrl *r = rrl_new(c, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	return r;
}

static void addr4(uint8_t a[16], const char *text)
{
	cr_assert_eq(inet_pton(AF_INET, text, a + 12), 1);
	memset(a, 0, 10);
	a[10] = a[11] = 0xff;
}

static void addr6(uint8_t a[16], const char *text)
{
	cr_assert_eq(inet_pton(AF_INET6, text, a), 1);
}

static const uint8_t *name(const char *text)
{
	static uint8_t buf[8][DNAME_MAX];
	static int k;
	uint8_t *n = buf[k++ % 8];
	cr_assert_gt(dname_from_text(n, text, strlen(text), NULL), 0);
	return n;
}

/* The key of an answer to www.example.com/A for the client src. */
static struct rrl_key www_a(uint8_t a[16], const char *src)
{
	addr4(a, src);
	return (struct rrl_key){ .addr = a, .cls = RRL_ANSWER, .name = name("www.example.com."),
				 .qtype = RR_A };
}

/* A worker on a fresh table of this rate and slip. */
static struct rrl_worker worker(unsigned rate, unsigned slip)
{
	struct rrl_conf c = conf(rate, slip);
	return (struct rrl_worker){ .r = mk(&c) };
}

/* How many of n responses for k at now pass. */
static unsigned passes(struct rrl_worker *w, const struct rrl_key *k, uint64_t now, unsigned n)
{
	unsigned p = 0;
	for (unsigned i = 0; i < n; i++)
		p += rrl_check(w, k, now) == RRL_PASS;
	return p;
}

Test(rrl, bucket_over_time)
{
	struct rrl_worker w = worker(10, 0);
	uint8_t a[16];
	struct rrl_key k = www_a(a, "198.18.0.1");
	uint64_t t = 5000000;	/* any start */
	cr_assert_eq(passes(&w, &k, t, 50), 10, "a second's burst, then limited");
	cr_assert_eq(passes(&w, &k, t + 99, 5), 0, "0.099 s refill less than a token");
	cr_assert_eq(passes(&w, &k, t + 100, 5), 1, "0.1 s at 10/s refills one token");
	cr_assert_eq(passes(&w, &k, t + 350, 5), 2, "0.25 s more: 2.5 tokens");
	cr_assert_eq(passes(&w, &k, t + 400, 5), 1, "the half token carried over");
	cr_assert_eq(passes(&w, &k, t + 60000, 50), 10, "a long pause refills one burst only");
	/* a steady 20/s stream for 10 s gets 10/s through */
	unsigned p = 0;
	for (uint64_t ms = 0; ms < 10000; ms += 50)
		p += passes(&w, &k, t + 70000 + ms, 1);
	cr_assert(p >= 100 && p <= 110, "%u of 200 passed", p);
	rrl_free(w.r);
}

Test(rrl, class_rates)
{
	/* BIND's per-class rates: a class's own rate, another class left
	 * unlimited, the rest at responses-per-second */
	struct rrl_conf c = conf(10, 0);
	c.class_rate[RRL_NXDOMAIN] = 3;
	c.class_rate[RRL_ERROR] = RRL_UNLIMITED;
	struct rrl_worker w = { .r = mk(&c) };
	uint8_t a[16];
	addr4(a, "198.18.0.1");
	struct rrl_key nx = { .addr = a, .cls = RRL_NXDOMAIN, .name = name("example.com.") };
	struct rrl_key er = { .addr = a, .cls = RRL_ERROR };
	struct rrl_key nd = { .addr = a, .cls = RRL_NODATA, .name = name("example.com.") };
	uint64_t t = 7000000;
	cr_assert_eq(passes(&w, &nx, t, 50), 3, "nxdomains-per-second 3");
	cr_assert_eq(passes(&w, &nx, t + 1000, 50), 3, "refilled at its own rate");
	cr_assert_eq(passes(&w, &er, t, 500), 500, "errors-per-second 0: never limited");
	cr_assert_eq(passes(&w, &nd, t, 50), 10, "nodata at responses-per-second");
	rrl_free(w.r);
	c.class_rate[RRL_REFERRAL] = RRL_RATE_MAX + 1;
	char err[256];
	cr_assert_null(rrl_new(&c, err, sizeof err));
	cr_assert(strstr(err, "rate 0..100000"), "%s", err);
}

Test(rrl, wildcard_answers_pooled)
{
	/* answers synthesized from a wildcard share the zone's bucket
	 * whatever the name asked (as Knot's wildcard class); other
	 * answers have a bucket per name */
	struct rrl_worker w = worker(4, 0);
	uint8_t a[16];
	addr4(a, "198.18.0.1");
	uint64_t t = 9000000;
	unsigned wild = 0, plain = 0;
	for (int i = 0; i < 40; i++) {
		char n[64];
		snprintf(n, sizeof n, "r%d.apps.example.com.", i);
		struct rrl_key k = { .addr = a, .cls = RRL_ANSWER, .name = name(n), .qtype = RR_A,
				     .wild_zone = 3 };
		wild += rrl_check(&w, &k, t) == RRL_PASS;
		k.wild_zone = 0;
		plain += rrl_check(&w, &k, t) == RRL_PASS;
	}
	cr_assert_eq(wild, 4, "one bucket for the zone's wildcard answers: %u", wild);
	cr_assert_eq(plain, 40, "a bucket per name otherwise: %u", plain);
	struct rrl_key other = { .addr = a, .cls = RRL_ANSWER, .name = name("x.example.net."),
				 .qtype = RR_A, .wild_zone = 4 };
	cr_assert_eq(passes(&w, &other, t, 10), 4, "another zone, another bucket");
	rrl_free(w.r);
}

Test(rrl, stamp_wraps)
{
	/* the stamp is ms modulo 2^20: time going past that keeps refilling */
	struct rrl_worker w = worker(5, 0);
	uint8_t a[16];
	addr4(a, "198.18.0.1");
	struct rrl_key k = { .addr = a, .cls = RRL_ERROR };
	uint64_t t = (1u << 20) - 100;
	cr_assert_eq(passes(&w, &k, t, 10), 5);
	cr_assert_eq(passes(&w, &k, t + 200, 10), 1, "200 ms across the wrap: one token");
	t += 200;
	for (uint64_t idle = 1000; idle < 40u * 60000; idle += 37000) {
		t += idle;
		cr_assert_eq(passes(&w, &k, t, 10), 5, "idle %llu ms: a full burst",
			     (unsigned long long)idle);
	}
	/* a stamp a little ahead of a worker's clock (another worker read
	 * it later) refills nothing, and is kept */
	cr_assert_eq(passes(&w, &k, t - 300, 10), 0);
	cr_assert_eq(passes(&w, &k, t + 199, 10), 0);
	cr_assert_eq(passes(&w, &k, t + 200, 10), 1);
	rrl_free(w.r);
}

Test(rrl, prefixes_v4)
{
	struct rrl_worker w = worker(3, 0);
	uint8_t a[16], b[16], d[16];
	addr4(a, "198.51.100.1");
	addr4(b, "198.51.100.254");
	addr4(d, "198.51.101.1");
	struct rrl_key k = { .addr = a, .cls = RRL_ERROR };
	cr_assert_eq(passes(&w, &k, 1000, 2), 2);
	k.addr = b;
	cr_assert_eq(passes(&w, &k, 1000, 5), 1, "the same /24 shares the bucket");
	k.addr = d;
	cr_assert_eq(passes(&w, &k, 1000, 5), 3, "the next /24 has its own");
	rrl_free(w.r);
	struct rrl_conf c = conf(3, 0);
	c.v4_prefix = 32;
	w.r = mk(&c);
	k.addr = a;
	cr_assert_eq(passes(&w, &k, 1000, 5), 3);
	k.addr = b;
	cr_assert_eq(passes(&w, &k, 1000, 5), 3, "with /32 each address has its own");
	rrl_free(w.r);
}

Test(rrl, prefixes_v6)
{
	struct rrl_worker w = worker(3, 0);
	uint8_t a[16], b[16], d[16];
	addr6(a, "2001:db8:0:1200::1");
	addr6(b, "2001:db8:0:12ff:ffff::1");	/* the same /56 */
	addr6(d, "2001:db8:0:1300::1");		/* the next /56 */
	struct rrl_key k = { .addr = a, .cls = RRL_NXDOMAIN, .name = name("example.com.") };
	cr_assert_eq(passes(&w, &k, 1000, 2), 2);
	k.addr = b;
	cr_assert_eq(passes(&w, &k, 1000, 5), 1);
	k.addr = d;
	cr_assert_eq(passes(&w, &k, 1000, 5), 3);
	/* an IPv4 client whose mapped address looks like neither */
	uint8_t v4[16];
	addr4(v4, "198.18.0.1");
	k.addr = v4;
	cr_assert_eq(passes(&w, &k, 1000, 5), 3);
	rrl_free(w.r);
}

Test(rrl, keys_by_class_and_name)
{
	struct rrl_worker w = worker(2, 0);
	uint8_t a[16];
	struct rrl_key k = www_a(a, "198.18.0.7");
	cr_assert_eq(passes(&w, &k, 1000, 5), 2);
	k.name = name("WWW.Example.COM.");
	cr_assert_eq(passes(&w, &k, 1000, 5), 0, "names compare case-insensitively");
	k.qtype = RR_AAAA;
	cr_assert_eq(passes(&w, &k, 1000, 5), 2, "another type is another answer");
	k.name = name("mail.example.com.");
	cr_assert_eq(passes(&w, &k, 1000, 5), 2, "another name too");
	/* NXDOMAIN and NODATA are keyed by the zone, whatever the type */
	k = (struct rrl_key){ .addr = a, .cls = RRL_NXDOMAIN, .name = name("example.com."),
			      .qtype = RR_A };
	cr_assert_eq(passes(&w, &k, 1000, 1), 1);
	k.qtype = RR_TXT;
	cr_assert_eq(passes(&w, &k, 1000, 5), 1, "qtype is not part of an NXDOMAIN's key");
	k.cls = RRL_NODATA;
	cr_assert_eq(passes(&w, &k, 1000, 5), 2, "NODATA is a class of its own");
	k.cls = RRL_REFERRAL;
	cr_assert_eq(passes(&w, &k, 1000, 5), 2);
	k.name = name("example.org.");
	k.cls = RRL_NXDOMAIN;
	cr_assert_eq(passes(&w, &k, 1000, 5), 2, "another zone's NXDOMAIN");
	/* every error of a client shares one bucket, whatever the name */
	k = (struct rrl_key){ .addr = a, .cls = RRL_ERROR, .name = name("a.example.") };
	cr_assert_eq(passes(&w, &k, 1000, 1), 1);
	k.name = name("b.example.");
	cr_assert_eq(passes(&w, &k, 1000, 5), 1);
	rrl_free(w.r);
}

Test(rrl, names_fold_ascii_case_only)
{
	/* every octet value in a label: a name shares its bucket with the
	 * name whose letters are lowercased, and only with that one */
	uint8_t a[16];
	addr4(a, "198.18.0.8");
	for (unsigned b = 1; b < 256; b++) {
		struct rrl_worker w = worker(1, 0);
		uint8_t n1[16] = { 9, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', (uint8_t)b,
				   3, 'c', 'o', 'm', 0 };
		uint8_t n2[16];
		memcpy(n2, n1, sizeof n1);
		n2[9] = b ^ 0x20;
		bool letter = (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
		struct rrl_key k = { .addr = a, .cls = RRL_NXDOMAIN, .name = n1 };
		cr_assert_eq(passes(&w, &k, 1000, 1), 1);
		k.name = n2;
		cr_assert_eq(passes(&w, &k, 1000, 1), letter ? 0 : 1, "octet 0x%02x", b);
		rrl_free(w.r);
	}
}

Test(rrl, slip_cadence)
{
	uint8_t a[16];
	addr4(a, "198.18.0.9");
	struct rrl_key k = { .addr = a, .cls = RRL_ERROR };
	unsigned slips[] = { 0, 1, 2, 3 };
	for (unsigned s = 0; s < 4; s++) {
		struct rrl_conf c = conf(1, slips[s]);
		struct rrl_worker w = { .r = mk(&c) };
		cr_assert_eq(rrl_check(&w, &k, 1000), RRL_PASS);
		unsigned slipped = 0, dropped = 0;
		for (unsigned i = 1; i <= 12; i++) {
			enum rrl_action act = rrl_check(&w, &k, 1000);
			bool want_slip = slips[s] && i % slips[s] == 0;
			cr_assert_eq(act, want_slip ? RRL_SLIP : RRL_DROP, "slip %u, limited #%u",
				     slips[s], i);
			slipped += act == RRL_SLIP;
			dropped += act == RRL_DROP;
		}
		cr_assert_eq(slipped, slips[s] ? 12 / slips[s] : 0);
		cr_assert_eq(slipped + dropped, 12);
		rrl_free(w.r);
	}
}

Test(rrl, allow_cookie_log_only)
{
	struct cfg_prefix allow = { .addr = { [10] = 0xff, [11] = 0xff, [12] = 203, [13] = 0,
					      [14] = 113 },
				    .len = 96 + 24 };
	struct rrl_conf c = conf(1, 0);
	c.allow = &allow;
	c.nallow = 1;
	struct rrl_worker w = { .r = mk(&c) };
	uint8_t a[16], b[16];
	addr4(a, "203.0.113.77");
	addr4(b, "203.0.114.77");
	struct rrl_key k = { .addr = a, .cls = RRL_ERROR };
	cr_assert_eq(passes(&w, &k, 1000, 20), 20, "allow-listed: never limited");
	k.addr = b;
	cr_assert_eq(passes(&w, &k, 1000, 20), 1);
	k.cookie = true;
	cr_assert_eq(passes(&w, &k, 1000, 20), 20, "a valid server cookie is exempt");
	rrl_free(w.r);
	c.log_only = true;
	w.r = mk(&c);
	k.cookie = false;
	cr_assert_eq(rrl_check(&w, &k, 1000), RRL_PASS);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(rrl_check(&w, &k, 1000), RRL_WOULD, "log-only never limits");
	rrl_free(w.r);
}

Test(rrl, bad_settings)
{
	char err[256];
	struct rrl_conf c = conf(0, 2);
	cr_assert_null(rrl_new(&c, err, sizeof err));
	cr_assert(strstr(err, "responses-per-second"), "%s", err);
	c = conf(10, 2);
	c.v6_prefix = 129;
	cr_assert_null(rrl_new(&c, err, sizeof err));
}

/* ---- responses from the engine ------------------------------------------- */

static struct zt_serve sv;
static struct zidx *root;
static const struct ans_cfg acfg = { .max_udp = 1232 };

static void engine_up(void)
{
	char err[16384];
	sv.n = 0;
	cr_assert_eq(zt_serve_answer_zones(&sv, getenv("SRCDIR"), err, sizeof err), 0, "%s", err);
	root = zidx_new(sv.snaps, sv.n);
	cr_assert_not_null(root);
}

static void engine_down(void)
{
	zidx_free(root);
	zt_serve_free(&sv);
}

static uint8_t out[4096];

static size_t respond(const char *qname, uint16_t type, bool do_bit, struct ans_outcome *oc)
{
	uint8_t q[512];
	struct dm_qopt o = { .edns = true, .do_bit = do_bit };
	struct ans_req req = { .q = q, .qlen = dm_query(q, sizeof q, qname, type, &o) };
	size_t n = ans_respond(root, &acfg, &req, out, sizeof out, oc);
	cr_assert_gt(n, 0);
	return n;
}

/* The class of the response to qname/type, and its key name as text. */
static enum rrl_class classify(const char *qname, uint16_t type, bool do_bit, char *key)
{
	struct ans_outcome oc;
	size_t n = respond(qname, type, do_bit, &oc);
	size_t at;
	enum rrl_class cls = rrl_classify(out, n, oc.rcode, &at);
	strcpy(key, "-");
	if (at) {
		struct wire_cur c;
		uint8_t nm[DNAME_MAX];
		wire_init(&c, out + at, n - at);
		cr_assert_gt(dname_unpack(&c, out, n, nm), 0);
		dname_to_text(key, DNAME_TEXT_MAX, nm);
	}
	return cls;
}

TestSuite(rrl_resp, .init = engine_up, .fini = engine_down);

Test(rrl_resp, classes)
{
	char key[DNAME_TEXT_MAX];
	cr_assert_eq(classify("www.example.com.", RR_A, false, key), RRL_ANSWER);
	cr_assert_str_eq(key, "www.example.com.");
	cr_assert_eq(classify("WWW.example.com.", RR_MX, false, key), RRL_NODATA);
	cr_assert_str_eq(key, "example.com.", "NODATA: the zone, from the SOA's owner");
	cr_assert_eq(classify("no-such.example.com.", RR_A, false, key), RRL_NXDOMAIN);
	cr_assert_str_eq(key, "example.com.");
	cr_assert_eq(classify("a.b.c.no-such.example.com.", RR_TXT, false, key), RRL_NXDOMAIN);
	cr_assert_str_eq(key, "example.com.", "every name of one zone shares the key");
	cr_assert_eq(classify("x.sub.example.com.", RR_A, false, key), RRL_REFERRAL);
	cr_assert_str_eq(key, "sub.example.com.", "a referral: the delegation");
	cr_assert_eq(classify("www.example.invalid.", RR_A, false, key), RRL_ERROR);
	/* with DNSSEC: the SOA still leads the authority section */
	cr_assert_eq(classify("no-such.example.org.", RR_A, true, key), RRL_NXDOMAIN);
	cr_assert_str_eq(key, "example.org.");
	cr_assert_eq(classify("no-such.example.net.", RR_A, true, key), RRL_NXDOMAIN);
	cr_assert_str_eq(key, "example.net.");
}

Test(rrl_resp, truncate_keeps_question_and_opt)
{
	struct ans_outcome oc;
	size_t n = respond("www.example.com.", RR_A, true, &oc);
	size_t t = rrl_truncate(out, n);
	struct dm_resp r;
	dm_parse(out, t, &r);
	cr_assert(r.ok, "%s", r.err);
	cr_assert(r.tc && r.qr && r.aa);
	cr_assert_eq(r.qdcount, 1);
	cr_assert_str_eq(r.qname, "www.example.com.");
	cr_assert_eq(r.nrr[DM_AN] + r.nrr[DM_NS] + r.nrr[DM_AR], 0);
	cr_assert_eq(r.nopt, 1, "the OPT RR stays (RFC 6891 §7)");
	cr_assert(r.opt_do);
	cr_assert(strstr(r.opt_opts, "ede=0:rate limited"), "EDE Other, rate limited: %s",
		  r.opt_opts);
	dm_resp_free(&r);
	/* options written for the query stay before it: NSID, the EDE of a
	 * REFUSED (Not Authoritative), which had no records to cut */
	n = respond("www.example.invalid.", RR_A, true, &oc);
	t = rrl_truncate(out, n);
	dm_parse(out, t, &r);
	cr_assert(r.ok && r.tc && r.rcode == 5 && r.nopt == 1, "%s", r.err);
	cr_assert(strstr(r.opt_opts, "ede=20:"), "%s", r.opt_opts);
	cr_assert(strstr(r.opt_opts, "ede=0:rate limited"), "%s", r.opt_opts);
	dm_resp_free(&r);
	/* without EDNS: header and question */
	uint8_t q[512];
	struct dm_qopt o = { 0 };
	struct ans_req req = { .q = q, .qlen = dm_query(q, sizeof q, "no-such.example.com.",
							RR_A, &o) };
	n = ans_respond(root, &acfg, &req, out, sizeof out, &oc);
	t = rrl_truncate(out, n);
	cr_assert_eq(t, 12 + 21 + 4, "header, no-such.example.com. and its type and class");
	dm_parse(out, t, &r);
	cr_assert(r.ok && r.tc && r.nopt == 0 && r.rcode == 3);
	dm_resp_free(&r);
}

Test(rrl_resp, response_hook)
{
	struct rrl_worker w = worker(2, 2);
	struct wstats st;
	memset(&st, 0, sizeof st);
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.0.33", &sin->sin_addr);
	uint8_t q[512];
	struct dm_qopt o = { .edns = true };
	struct ans_req req = { .q = q, .qlen = dm_query(q, sizeof q, "www.example.com.", RR_A, &o),
			       .peer_kind = ANS_PEER_SOCKADDR, .peer = &ss };
	enum rrl_action want[] = { RRL_PASS, RRL_PASS, RRL_DROP, RRL_SLIP, RRL_DROP, RRL_SLIP };
	for (unsigned i = 0; i < 6; i++) {
		struct ans_outcome oc;
		size_t n = ans_respond(root, &acfg, &req, out, sizeof out, &oc);
		size_t full = n;
		cr_assert_eq(rrl_response(&w, &req, out, &n, &oc, &st, 1000), want[i], "#%u", i);
		cr_assert_eq(n == 0, want[i] == RRL_DROP);
		cr_assert_eq(oc.dropped, want[i] == RRL_DROP);
		cr_assert_eq(oc.tc, want[i] == RRL_SLIP);
		if (want[i] == RRL_PASS)
			cr_assert_eq(n, full);
	}
	cr_assert_eq(st.rrl_slipped, 2);
	cr_assert_eq(st.rrl_dropped, 2);
	/* TCP is never limited */
	req.tcp = true;
	struct ans_outcome oc;
	size_t n = ans_respond(root, &acfg, &req, out, sizeof out, &oc);
	cr_assert_eq(rrl_response(&w, &req, out, &n, &oc, &st, 1000), RRL_PASS);
	rrl_free(w.r);
}

Test(rrl_resp, burst_decides_in_order)
{
	/* a burst mixing two clients and a TCP query: the same decisions as
	 * one response at a time, in order */
	struct rrl_worker w = worker(3, 2);
	struct wstats st;
	memset(&st, 0, sizeof st);
	struct sockaddr_storage ss[2] = { { 0 }, { 0 } };
	const char *ip[2] = { "198.18.0.1", "198.51.100.1" };
	for (int c = 0; c < 2; c++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss[c];
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, ip[c], &sin->sin_addr);
	}
	enum { N = 40 };
	static uint8_t q[N][512], o[N][1232];
	struct ans_req req[N];
	uint8_t *outs[N];
	size_t caps[N], lens[N];
	struct ans_outcome ocs[N];
	for (int i = 0; i < N; i++) {
		struct dm_qopt opt = { .edns = true, .id = (uint16_t)i };
		req[i] = (struct ans_req){ .q = q[i],
					   .qlen = dm_query(q[i], sizeof q[i], "nope.example.com.",
							    RR_A, &opt),
					   .tcp = i == 39, .peer_kind = ANS_PEER_SOCKADDR,
					   .peer = &ss[i < 30 ? 0 : 1] };
		outs[i] = o[i];
		caps[i] = sizeof o[i];
	}
	ans_respond_burst(root, &acfg, req, N, outs, caps, lens, ocs);
	rrl_burst(&w, req, outs, lens, ocs, N, &st, 1000);
	unsigned full = 0, tc = 0, dropped = 0;
	for (int i = 0; i < N; i++) {
		bool is_tc = lens[i] && (o[i][2] & 0x02);
		full += lens[i] && !is_tc;
		tc += is_tc;
		dropped += !lens[i];
		if (i < 3 || (i >= 30 && i < 33) || i == 39)
			cr_assert(lens[i] && !is_tc, "#%d within the rate (or TCP)", i);
	}
	/* client 1: 3 answered, 27 limited; client 2: 3 answered, 6 limited;
	 * 33 limited alternate drop and truncate on this worker */
	cr_assert_eq(full, 3 + 3 + 1);
	cr_assert_eq(tc, 16);
	cr_assert_eq(dropped, 17);
	cr_assert_eq(st.rrl_slipped, 16);
	cr_assert_eq(st.rrl_dropped, 17);
	rrl_free(w.r);
}

/* ---- several workers on one table ---------------------------------------- */

#define THREADS 4
#define STEPS 20
#define PER_STEP 3000	/* each thread's responses per simulated second */

struct shared {
	struct rrl *r;
	pthread_barrier_t bar;
	unsigned passed[THREADS][STEPS];
};

struct arg {
	struct shared *s;
	unsigned id;
};

static void *hammer(void *p)
{
	struct arg *a = p;
	struct rrl_worker w = { .r = a->s->r };
	uint8_t addr[16];
	char text[32];
	for (unsigned step = 0; step < STEPS; step++) {
		pthread_barrier_wait(&a->s->bar);
		unsigned n = 0;
		for (unsigned i = 0; i < PER_STEP; i++) {
			/* spoofed sources all over one /24 */
			snprintf(text, sizeof text, "10.1.2.%u", (i * 7 + a->id) % 256);
			addr4(addr, text);
			struct rrl_key k = { .addr = addr, .cls = RRL_NXDOMAIN,
					     .name = (const uint8_t *)"\7example\3com" };
			n += rrl_check(&w, &k, 1000u * step + i % 1000 / 4) == RRL_PASS;
		}
		a->s->passed[a->id][step] = n;
	}
	return NULL;
}

Test(rrl, threads_share_the_rate)
{
	struct shared s;
	struct rrl_conf c = conf(500, 0);
	s.r = mk(&c);
	pthread_barrier_init(&s.bar, NULL, THREADS);
	pthread_t th[THREADS];
	struct arg args[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		args[i] = (struct arg){ &s, i };
		pthread_create(&th[i], NULL, hammer, &args[i]);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&s.bar);
	/* each simulated second lasts 250 ms of its clock: a burst of 500
	 * (the bucket is full at every step), plus 250 ms of refill at
	 * 500/s = 125 at most; never the rate times the threads */
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned total = 0;
		for (unsigned i = 0; i < THREADS; i++)
			total += s.passed[i][step];
		cr_assert(total <= 500 + 125, "step %u: %u passed", step, total);
		cr_assert(total >= 500, "step %u: %u passed", step, total);
	}
	rrl_free(s.r);
}

/* The rate-limit log line's sample (a limited prefix and class, written
 * by whichever worker limits next once the logger asks for one) while
 * workers limit on every thread: each report names the flooded /24 and
 * class, never a sample half written.  (ThreadSanitizer showed the
 * logger's reads of one sample racing with the writes of the next.) */
struct logger {
	struct rrl *r;
	atomic_bool done;
};

static void *limit_until_done(void *p)
{
	struct logger *l = p;
	struct rrl_worker w = { .r = l->r };
	uint8_t addr[16];
	char text[32];
	/* bounded: the logger stops the threads long before this */
	for (unsigned i = 0; i < 2000000 && !atomic_load(&l->done); i++) {
		snprintf(text, sizeof text, "10.1.2.%u", i % 256);
		addr4(addr, text);
		struct rrl_key k = { .addr = addr, .cls = RRL_NXDOMAIN,
				     .name = (const uint8_t *)"\7example\3com" };
		rrl_check(&w, &k, 1000u + i / 100000);
	}
	return NULL;
}

Test(rrl, log_sample_while_threads_limit, .init = cr_redirect_stderr)
{
	struct rrl_conf c = conf(10, 0);
	struct logger l = { .r = mk(&c) };
	atomic_init(&l.done, false);
	pthread_t th[THREADS];
	for (unsigned i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, limit_until_done, &l);
	struct wstats st = { 0 };
	for (unsigned t = 1; t <= 300; t++) {
		/* as if the workers counted what they limited */
		__atomic_add_fetch(&st.rrl_dropped, 1, __ATOMIC_RELAXED);
		rrl_log_tick(l.r, &st, 1, 1000u * t, 1000);
		usleep(1000);
	}
	atomic_store(&l.done, true);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	rrl_free(l.r);
	fflush(stderr);
	FILE *f = cr_get_redirected_stderr();
	char line[512];
	unsigned lines = 0;
	while (fgets(line, sizeof line, f)) {
		if (!strstr(line, "rate-limit:"))
			continue;
		lines++;
		cr_assert(strstr(line, "e.g. to 10.1.2.0/24 (nxdomain)"), "%s", line);
	}
	/* a report at most every other tick: one asks, a worker samples */
	cr_assert_geq(lines, 20, "%u reports", lines);
}
