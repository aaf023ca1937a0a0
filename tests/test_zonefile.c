/*
 * test_zonefile.c - the master-file parser (RFC 1035 §5.1, RFC 2308 §4,
 * RFC 3597 §5, BIND $GENERATE): every syntax form, and one test per error
 * class with the FILE:LINE it must name.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zones/rrtype.h"
#include "tests/zt.h"

#define SOA_NS "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n" \
	       "@ NS ns1\nns1 A 198.51.100.1\n"

static char tmpdir[64];

static void mk_tmp(void)
{
	zt_mktmp(tmpdir, "zf");
}

static void rm_tmp(void)
{
	zt_rmtmp(tmpdir);
}

#define has_msg(t, s) cr_assert(strstr((t)->msgs, s), "expected '%s' in:\n%s", s, (t)->msgs)

Test(zonefile, owners_ttl_class_forms)
{
	struct zt t;
	zt_load(&t, "example.com", "z",
		"$TTL 1h\n"
		SOA_NS
		"www 300 IN A 198.51.100.2\n"
		"    IN 600 A 198.51.100.3\n"	/* blank owner, class before TTL */
		"\tAAAA 2001:db8::1\n"		/* blank owner, no TTL or class */
		"mail.example.com. MX 10 www\n"
		"@ TXT \"v=spf1 -all\"\n"
		"$ORIGIN sub2.example.com.\n"
		"x A 198.51.100.4 ; comment\n"
		"; a comment line\n"
		"\n"
		"y CLASS1 TYPE1 \\# 4 C6336405\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	uint32_t ttl;
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_A, "198.51.100.2", &ttl), 1);
	cr_assert_eq(ttl, 300);
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_A, "198.51.100.3", &ttl), 1);
	cr_assert_eq(ttl, 300, "one TTL per RRset: the lowest (RFC 2181 §5.2)");
	has_msg(&t, "different TTLs");
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_AAAA, "2001:db8::1", &ttl), 1);
	cr_assert_eq(ttl, 3600, "$TTL applies (RFC 2308 §4)");
	cr_assert_eq(zt_count(&t, "mail.example.com.", RR_MX, "10 www.example.com.", NULL), 1);
	cr_assert_eq(zt_count(&t, "example.com.", RR_TXT, "\"v=spf1 -all\"", NULL), 1);
	cr_assert_eq(zt_count(&t, "x.sub2.example.com.", RR_A, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "y.sub2.example.com.", RR_A, "198.51.100.5", NULL), 1);
	cr_assert_eq(t.st.records, 10);
	cr_assert_eq(t.st.serial, 1);
	zt_free(&t);
}

Test(zonefile, last_explicit_ttl_without_dollar_ttl)
{
	struct zt t;
	/* RFC 1035 §5.1: an omitted TTL is the last explicitly stated one */
	zt_load(&t, "example.com", "z",
		"@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
		"@ NS ns1\nns1 120 A 198.51.100.1\nns2 A 198.51.100.2\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	uint32_t ttl;
	cr_assert_eq(zt_count(&t, "example.com.", RR_NS, NULL, &ttl), 1);
	cr_assert_eq(ttl, 3600);
	cr_assert_eq(zt_count(&t, "ns2.example.com.", RR_A, NULL, &ttl), 1);
	cr_assert_eq(ttl, 120);
	zt_free(&t);
}

Test(zonefile, parentheses_quotes_escapes)
{
	struct zt t;
	zt_load(&t, "example.com", "z",
		"$TTL 300\n"
		"@ IN SOA ns1 hostmaster ( 2026112401 ; serial\n"
		"        2h   ; refresh\n"
		"        1h 2w\n"
		"        5m )\n"
		"@ NS ns1\nns1 A 198.51.100.1\n"
		"t TXT \"a b\" \"semi;colon\" \"q\\\"uote\" \"\\065\\066\" (\n"
		"   \"paren)\" )\n"
		"e\\.dot TXT x\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(t.st.serial, 2026112401);
	cr_assert_eq(zt_count(&t, "example.com.", RR_SOA,
			      "ns1.example.com. hostmaster.example.com. 2026112401 7200 3600 1209600 300",
			      NULL), 1);
	cr_assert_eq(zt_count(&t, "t.example.com.", RR_TXT,
			      "\"a b\" \"semi;colon\" \"q\\\"uote\" \"AB\" \"paren)\"", NULL), 1);
	cr_assert_eq(zt_count(&t, "e\\.dot.example.com.", RR_TXT, "\"x\"", NULL), 1);
	zt_free(&t);
}

Test(zonefile, include_relative_with_origin, .init = mk_tmp, .fini = rm_tmp)
{
	char sub[128];
	snprintf(sub, sizeof sub, "%s/inc", tmpdir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	zt_write(sub, "hosts", "h1 A 198.51.100.10\n$INCLUDE more o.example.com.\nh2 A 198.51.100.11\n");
	zt_write(sub, "more", "m A 198.51.100.12\n$ORIGIN zz.example.com.\nn A 198.51.100.13\n");
	const char *main_path = zt_write(tmpdir, "main.zone",
		"$TTL 60\n" SOA_NS "$INCLUDE inc/hosts hosts.example.com.\nafter A 198.51.100.14\n");
	struct zt t;
	zt_load_file(&t, "example.com", main_path);
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(zt_count(&t, "h1.hosts.example.com.", RR_A, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "h2.hosts.example.com.", RR_A, NULL, NULL), 1,
		     "$ORIGIN inside an include does not leak out of it");
	cr_assert_eq(zt_count(&t, "m.o.example.com.", RR_A, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "n.zz.example.com.", RR_A, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "after.example.com.", RR_A, NULL, NULL), 1,
		     "the includer's origin is restored (RFC 1035 §5.1)");
	zt_free(&t);
}

Test(zonefile, include_loop_and_depth, .init = mk_tmp, .fini = rm_tmp)
{
	zt_write(tmpdir, "a", "$INCLUDE b\n");
	zt_write(tmpdir, "b", "$INCLUDE a\n");
	const char *m = zt_write(tmpdir, "m.zone", "$TTL 60\n" SOA_NS "$INCLUDE a\n");
	struct zt t;
	zt_load_file(&t, "example.com", m);
	cr_assert_gt(t.errors, 0);
	has_msg(&t, "include loop");
	has_msg(&t, "/b:1: error: $INCLUDE");
	zt_free(&t);

	/* a chain deeper than the limit */
	for (int k = 0; k < 15; k++) {
		char name[16], text[64];
		snprintf(name, sizeof name, "d%d", k);
		snprintf(text, sizeof text, "x%d A 198.51.100.1\n$INCLUDE d%d\n", k, k + 1);
		zt_write(tmpdir, name, text);
	}
	m = zt_write(tmpdir, "m2.zone", "$TTL 60\n" SOA_NS "$INCLUDE d0\n");
	zt_load_file(&t, "example.com", m);
	has_msg(&t, "nested deeper than 10 levels");
	zt_free(&t);
}

Test(zonefile, include_not_a_file, .init = mk_tmp, .fini = rm_tmp)
{
	const char *m = zt_write(tmpdir, "m.zone",
		"$TTL 60\n" SOA_NS "$INCLUDE /dev/zero\n$INCLUDE /\n$INCLUDE missing-file\n");
	struct zt t;
	zt_load_file(&t, "example.com", m);
	cr_assert_eq(t.errors, 3, "%s", t.msgs);
	has_msg(&t, "m.zone:5: error: $INCLUDE /dev/zero: not a regular file");
	has_msg(&t, "m.zone:6: error: $INCLUDE /: is a directory");
	has_msg(&t, "m.zone:7: error: $INCLUDE");
	has_msg(&t, "No such file or directory");
	zt_free(&t);
}

Test(zonefile, generate)
{
	struct zt t;
	zt_load(&t, "2.0.192.in-addr.arpa", "z",
		"$TTL 60\n"
		"@ SOA ns1.example.com. h.example.com. 1 2 3 4 5\n@ NS ns1.example.com.\n"
		"$GENERATE 1-4 $ PTR host$.example.com.\n"
		"$GENERATE 10-20/5 x${100,4,d} 120 IN A 198.51.100.$\n"
		"$GENERATE 26-27 h${0,2,x} CNAME ${-26,1,n}.n\n"
		"$GENERATE 1-1 \\$lit TXT \"cost $$5\"\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(zt_count(&t, "3.2.0.192.in-addr.arpa.", RR_PTR, "host3.example.com.", NULL), 1);
	cr_assert_eq(zt_count(&t, "x0110.2.0.192.in-addr.arpa.", RR_A, "198.51.100.10", NULL), 1);
	cr_assert_eq(zt_count(&t, "x0115.2.0.192.in-addr.arpa.", RR_A, "198.51.100.15", NULL), 1);
	cr_assert_eq(zt_count(&t, "x0120.2.0.192.in-addr.arpa.", RR_A, "198.51.100.20", NULL), 1);
	cr_assert_eq(zt_count(&t, "h1a.2.0.192.in-addr.arpa.", RR_CNAME,
			      "0.n.2.0.192.in-addr.arpa.", NULL), 1);
	cr_assert_eq(zt_count(&t, "h1b.2.0.192.in-addr.arpa.", RR_CNAME,
			      "1.n.2.0.192.in-addr.arpa.", NULL), 1);
	cr_assert_eq(zt_count(&t, "\\$lit.2.0.192.in-addr.arpa.", RR_TXT, "\"cost $5\"", NULL), 1);
	cr_assert_eq(t.st.records, 2 + 4 + 3 + 2 + 1);
	zt_free(&t);
}

Test(zonefile, generate_errors)
{
	struct zt t;
	zt_load(&t, "example.com", "z", "$TTL 60\n" SOA_NS
		"$GENERATE 5-1 x$ A 198.51.100.1\n"
		"$GENERATE 1-3 x${1,2,q} A 198.51.100.1\n"
		"$GENERATE 0-99999999 x$ A 198.51.100.1\n"
		"$GENERATE 1-2 x$ A 198.51.100.$99\n"
		/* found by fuzzing: an offset past a long overflowed */
		"$GENERATE 1-2 x${9223372036854775807} A 198.51.100.1\n"
		"$GENERATE 1-2 x${-2147483648} A 198.51.100.1\n");
	has_msg(&t, "z:5: error: $GENERATE: bad range");
	has_msg(&t, "z:9: error: $GENERATE: offset in '${...}' out of range");
	has_msg(&t, "z:10: error: $GENERATE: offset in '${...}' out of range");
	has_msg(&t, "z:6: error: $GENERATE: bad modifier");
	has_msg(&t, "z:7: error: $GENERATE: range 0-99999999 makes more than");
	has_msg(&t, "z:8: error: A record:");
	zt_free(&t);
}

/* One test per parse error class, each naming FILE:LINE. */
Test(zonefile, error_classes)
{
	struct zt t;
	zt_load(&t, "example.com", "bad.zone",
		"$TTL 60\n"			/* 1 */
		SOA_NS				/* 2-4 */
		"$BOGUS 1\n"			/* 5 */
		"a 1x A 198.51.100.1\n"		/* 6 */
		"b A 198.51.100.256\n"		/* 7 */
		"c FOO 1\n"			/* 8 */
		"d\n"				/* 9 */
		"e A 198.51.100.1 )\n"		/* 10 */
		"f TXT \"open\n"		/* 11 */
		"g CH A 198.51.100.1\n"		/* 12 */
		"h AXFR x\n"			/* 13 */
		"i.. A 198.51.100.1\n"		/* 14 */
		"$TTL\n"			/* 15 */
		"$ORIGIN\n"			/* 16 */
		"j A ( 198.51.100.1\n"		/* 17 */
		"k A 198.51.100.2 )\n"		/* 18 -> joined with 17: 2 addresses */
		"l 4294967296 A 198.51.100.1\n" /* 19 */
		"m TYPE65280 \\# 4 0a0000\n"	/* 20: length mismatch */
		"ok A 198.51.100.9\n");		/* 21 */
	has_msg(&t, "bad.zone:5: error: unknown directive '$BOGUS'");
	has_msg(&t, "bad.zone:6: error: bad TTL '1x'");
	has_msg(&t, "bad.zone:7: error: A record:");
	has_msg(&t, "bad.zone:8: error: unknown type 'FOO'");
	has_msg(&t, "bad.zone:9: error: record without a type");
	has_msg(&t, "bad.zone:10: error: ')' without an opening '('");
	has_msg(&t, "bad.zone:11: error: quoted string without its closing");
	has_msg(&t, "bad.zone:12: error: class CH does not match the zone's class IN");
	has_msg(&t, "bad.zone:13: error: type AXFR is a meta or query type");
	has_msg(&t, "bad.zone:14: error: bad owner name 'i..'");
	has_msg(&t, "bad.zone:15: error: $TTL takes one TTL");
	has_msg(&t, "bad.zone:16: error: $ORIGIN takes one domain name");
	has_msg(&t, "bad.zone:17: error: A record:");
	has_msg(&t, "bad.zone:19: error: bad TTL '4294967296'");
	has_msg(&t, "bad.zone:20: error: TYPE65280 record:");
	cr_assert_eq(t.errors, 15, "%s", t.msgs);
	cr_assert_eq(zt_count(&t, "ok.example.com.", RR_A, NULL, NULL), 1,
		     "parsing goes on after errors");
	zt_free(&t);
}

Test(zonefile, missing_ttl_and_owner)
{
	struct zt t;
	zt_load(&t, "example.com", "z", "  A 198.51.100.1\n");
	has_msg(&t, "z:1: error: record without an owner name");
	zt_free(&t);
	zt_load(&t, "example.com", "z", "www A 198.51.100.1\n");
	has_msg(&t, "z:1: error: record without a TTL and no $TTL");
	zt_free(&t);
	zt_load(&t, "example.com", "z",
		"@ SOA ns1 h 1 2 3 4 77\n@ NS ns1\nns1 A 198.51.100.1\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	has_msg(&t, "z:1: warning: no TTL and no $TTL: using the SOA MINIMUM 77");
	uint32_t ttl;
	cr_assert_eq(zt_count(&t, "ns1.example.com.", RR_A, NULL, &ttl), 1);
	cr_assert_eq(ttl, 77);
	zt_free(&t);
}

Test(zonefile, unbalanced_at_eof_and_nul)
{
	struct zt t;
	zt_load(&t, "example.com", "z", "$TTL 60\n" SOA_NS "x TXT ( \"a\"\n\"b\"\n");
	has_msg(&t, "z:5: error: '(' without a closing ')'");
	zt_free(&t);

	static const char bin[] = "$TTL 60\nwww A 198.51.100.1\nx\0yz A 1.2.3.4\n";
	uint8_t o[] = "\7example\3com";
	struct zt u;
	memset(&u, 0, sizeof u);
	u.d.fn = NULL;
	struct zone *z = zone_new(o, &u.d);
	struct zf_options opt = { .origin = o };
	cr_assert_eq(zf_parse_mem("bin", bin, sizeof bin - 1, &opt, zone_add_cb, z, &u.d), -1,
		     "a NUL byte stops the file");
	cr_assert_eq(u.d.errors, 1);
	zone_free(z);
}

Test(zonefile, too_many_errors_stops)
{
	char *text = malloc(200 * 20 + 1);
	text[0] = 0;
	for (int k = 0; k < 200; k++)
		strcat(text, "x FOO bar\n");
	struct zt t;
	zt_load(&t, "example.com", "z", text);
	has_msg(&t, "too many errors (100)");
	cr_assert_lt(t.errors, 110);
	zt_free(&t);
	free(text);
}

/* Random mutations of a valid zone: the parser reports errors or accepts,
 * and never reads out of bounds (run under ASan in CI) or hangs. */
Test(zonefile, mutations_never_crash, .timeout = 120)
{
	static const char base[] =
		"$ORIGIN example.com.\n$TTL 1h\n"
		"@ SOA ns1 hostmaster ( 1 2h 1h 2w 5m )\n@ NS ns1\nns1 A 198.51.100.1\n"
		"t TXT \"a b\" \"c\\\"d\" \\065x\nm MX 10 mail\n"
		"h HTTPS 1 . alpn=\"h2,h3\" port=443\nl LOC 52 22 23 N 4 53 32 E -2m\n"
		"$GENERATE 1-3 g$ A 198.51.100.${1,3,d}\n"
		"d DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n"
		"n NSEC3 1 1 12 aabbccdd 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG\n";
	static const char specials[] = "\"\\();$@. \t\n0123456789*\x80";
	uint8_t o[] = "\7example\3com";
	char buf[sizeof base + 64];
	unsigned seed = 12345;
	unsigned accepted = 0;

	for (int iter = 0; iter < 2000; iter++) {
		size_t len = sizeof base - 1;
		memcpy(buf, base, len);
		int nmut = 1 + (int)(rand_r(&seed) % 6);
		for (int k = 0; k < nmut; k++) {
			if (len == 0)
				break;
			size_t pos = rand_r(&seed) % len;
			switch (rand_r(&seed) % 3) {
			case 0:	/* replace with a special character */
				buf[pos] = specials[rand_r(&seed) % (sizeof specials - 1)];
				break;
			case 1:	/* random byte, never NUL */
				buf[pos] = (char)(1 + rand_r(&seed) % 255);
				break;
			default: /* cut the text short */
				len = pos;
				break;
			}
		}
		struct diag d = { 0 };
		struct zone *z = zone_new(o, &d);
		struct zf_options opt = { .origin = o };
		zf_parse_mem("fuzz", buf, len, &opt, zone_add_cb, z, &d);
		zone_finish(z);
		accepted += d.errors == 0;
		zone_free(z);
	}
	/* the mutations are real: most texts are broken, some still valid */
	cr_assert_gt(accepted, 0);
	cr_assert_lt(accepted, 2000);
}

/* Records of many fields: the token array grows; past 65536 fields the
 * record is refused with a message. */
Test(zonefile, many_fields)
{
	size_t n = 70000;
	char *text = malloc(64 + n * 4 + 2000);
	strcpy(text, "$TTL 60\n" SOA_NS "t TXT");
	for (size_t k = 0; k < 1000; k++)
		strcat(text, " \"a\"");
	strcat(text, "\nu TXT");
	size_t l = strlen(text);
	for (size_t k = 0; k < n; k++) {
		memcpy(text + l, " b", 2);
		l += 2;
	}
	strcpy(text + l, "\n");
	struct zt t;
	zt_load(&t, "example.com", "z", text);
	cr_assert_eq(zt_count(&t, "t.example.com.", RR_TXT, NULL, NULL), 1, "%s", t.msgs);
	has_msg(&t, "z:6: error: more than 65536 fields in one record");
	cr_assert_eq(t.errors, 1);
	zt_free(&t);
	free(text);
}

/* ---- the operator's size limits (zone-max-mb, zone-max-records) ---- */

static void collect_msg(void *ud, enum diag_sev sev, const char *file, unsigned line,
			const char *msg)
{
	char *out = ud;
	size_t len = strlen(out);
	snprintf(out + len, 4096 - len, "%s:%u: %s: %s\n", file, line,
		 sev == DIAG_ERROR ? "error" : "warning", msg);
}

/* Loads path under the limits: the errors, the messages in msgs (4096). */
static unsigned load_max(const char *path, uint64_t max_bytes, uint64_t max_records,
			 char *msgs, size_t *records)
{
	uint8_t o[] = "\7example\3com";
	msgs[0] = 0;
	struct diag d = { .fn = collect_msg, .ud = msgs };
	struct zone *z = zone_load_file_max(o, path, max_bytes, max_records, &d);
	cr_assert_not_null(z);
	struct zone_stats st;
	zone_get_stats(z, &st);
	*records = st.records;
	zone_free(z);
	return d.errors;
}

/* A file of n A records after the SOA and NS (3 lines before them). */
static const char *hosts_file(const char *name, unsigned n, const char *extra)
{
	size_t cap = 64 + strlen(SOA_NS) + (size_t)n * 40 + strlen(extra);
	char *text = malloc(cap);
	size_t len = (size_t)snprintf(text, cap, "$TTL 60\n" SOA_NS);
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%07u A 198.51.100.%u\n", i,
					i % 250);
	snprintf(text + len, cap - len, "%s", extra);
	const char *p = zt_write(tmpdir, name, text);
	free(text);
	return p;
}

Test(zonefile, record_limit, .init = mk_tmp, .fini = rm_tmp)
{
	char msgs[4096];
	size_t records;
	/* SOA, NS, ns1 and 7 hosts: 10 records, the limit exactly */
	const char *p = hosts_file("z", 7, "");
	cr_assert_eq(load_max(p, 0, 10, msgs, &records), 0, "%s", msgs);
	cr_assert_eq(records, 10);
	/* one more: refused at the line of the 11th record, nothing kept */
	p = hosts_file("z", 8, "");
	cr_assert_eq(load_max(p, 0, 10, msgs, &records), 1, "%s", msgs);
	char want[256];
	snprintf(want, sizeof want, "%s:12: error: more than 10 records (zone-max-records): "
		 "stopped reading\n", p);
	cr_assert_str_eq(msgs, want);
	/* $GENERATE counts each record it makes */
	p = hosts_file("z", 0, "$GENERATE 1-20 g$ A 198.51.100.$\n");
	cr_assert_eq(load_max(p, 0, 10, msgs, &records), 1, "%s", msgs);
	cr_assert(strstr(msgs, ":5: error: more than 10 records (zone-max-records)"), "%s", msgs);
}

Test(zonefile, size_limit, .init = mk_tmp, .fini = rm_tmp)
{
	char msgs[4096], want[256];
	size_t records;
	/* about 1.2 MiB of text against a 1 MiB limit: refused before parsing */
	const char *p = hosts_file("big", 50000, "");
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_gt(st.st_size, 1 << 20);
	cr_assert_geq(load_max(p, 1 << 20, 0, msgs, &records), 1, "%s", msgs);
	snprintf(want, sizeof want, "%s:0: error: larger than 1 MiB (zone-max-mb)\n", p);
	cr_assert_eq(strncmp(msgs, want, strlen(want)), 0, "the first error: %s", msgs);
	cr_assert_eq(records, 0, "nothing half-loaded");
	cr_assert_eq(load_max(p, 2 << 20, 0, msgs, &records), 0, "%s", msgs);
	cr_assert_eq(records, 50003);
	/* small files that $INCLUDE more than the limit in all */
	char *part = malloc(20000 * 32);
	size_t len = 0;
	for (unsigned i = 0; i < 20000; i++)
		len += (size_t)sprintf(part + len, "h%07u 60 A 198.51.100.1\n", i);
	zt_write(tmpdir, "part", part);
	free(part);
	p = zt_write(tmpdir, "m.zone", "$TTL 60\n" SOA_NS "$INCLUDE part a.example.com.\n"
		     "$INCLUDE part b.example.com.\n$INCLUDE part c.example.com.\n");
	cr_assert_eq(load_max(p, 1 << 20, 0, msgs, &records), 1, "%s", msgs);
	cr_assert(strstr(msgs, "zone text larger than 1 MiB (zone-max-mb) with its $INCLUDE "
			 "files: stopped reading"), "%s", msgs);
}
