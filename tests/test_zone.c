/*
 * test_zone.c - the semantic checks of a zone (RFC 1034 §3.6.2, RFC 2181
 * §5 and §8 and §10.1, RFC 6672 §2.4, glue), duplicates and statistics.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "tests/zt.h"

#define HEAD "$TTL 300\n@ SOA ns1 hostmaster 7 7200 3600 1209600 300\n@ NS ns1\nns1 A 198.51.100.1\n"
#define has_msg(t, s) cr_assert(strstr((t)->msgs, s), "expected '%s' in:\n%s", s, (t)->msgs)

Test(zone, valid_zone_stats)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD
		"www A 198.51.100.2\nwww A 198.51.100.3\nwww AAAA 2001:db8::2\n"
		"sub NS ns.sub\nns.sub A 198.51.100.4\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(t.st.records, 8);
	cr_assert_eq(t.st.names, 5);
	cr_assert_eq(t.st.rrsets, 7);
	cr_assert_eq(t.st.serial, 7);
	cr_assert(!t.st.dnssec);
	zt_free(&t);
}

Test(zone, soa_rules)
{
	struct zt t;
	zt_load(&t, "example.com", "z", "$TTL 300\n@ NS ns1\nns1 A 198.51.100.1\n");
	has_msg(&t, "no SOA record at the zone apex example.com.");
	zt_free(&t);
	zt_load(&t, "example.com", "z", HEAD "@ SOA ns1 other 8 1 1 1 1\n");
	has_msg(&t, "z:5: error: more than one SOA record at the apex");
	zt_free(&t);
	zt_load(&t, "example.com", "z", HEAD "www SOA ns1 h 1 1 1 1 1\n");
	has_msg(&t, "z:5: error: SOA record at www.example.com.: a zone has its SOA at the apex only");
	zt_free(&t);
}

Test(zone, apex_ns_required)
{
	struct zt t;
	zt_load(&t, "example.com", "z", "$TTL 300\n@ SOA ns1 h 1 1 1 1 1\n");
	has_msg(&t, "no NS records at the zone apex example.com.");
	cr_assert_eq(t.errors, 1);
	zt_free(&t);
}

Test(zone, cname_rules)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD "c CNAME www\nc A 198.51.100.9\n");
	has_msg(&t, "z:5: error: CNAME at c.example.com. beside other data (A at line 6)");
	zt_free(&t);
	zt_load(&t, "example.com", "z", HEAD "c CNAME www\nc CNAME ftp\n");
	has_msg(&t, "more than one CNAME record at c.example.com.");
	zt_free(&t);
	/* RFC 4035 §2.5: RRSIG and NSEC may sit beside a CNAME */
	zt_load(&t, "example.com", "z", HEAD "c CNAME www\n"
		"c RRSIG CNAME 8 3 300 20300101000000 20200101000000 12345 example.com. AAAA\n"
		"c NSEC d.example.com. CNAME RRSIG NSEC\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert(t.st.dnssec);
	zt_free(&t);
}

Test(zone, dname_with_descendants)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD "d DNAME example.net.\nx.d A 198.51.100.7\n");
	has_msg(&t, "z:6: error: x.d.example.com. is below the DNAME at d.example.com. (line 5)");
	zt_free(&t);
	zt_load(&t, "example.com", "z", HEAD "d DNAME example.net.\nd DNAME example.org.\n");
	has_msg(&t, "more than one DNAME record at d.example.com.");
	zt_free(&t);
	zt_load(&t, "example.com", "z", HEAD "d DNAME example.net.\nd A 198.51.100.1\n");
	cr_assert_eq(t.errors, 0, "DNAME beside other data is fine: %s", t.msgs);
	zt_free(&t);
}

Test(zone, out_of_zone_owner)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD "www.example.net. A 198.51.100.1\nexample.com.evil. A 198.51.100.2\n");
	has_msg(&t, "z:5: error: owner www.example.net. is outside the zone example.com.");
	has_msg(&t, "z:6: error: owner example.com.evil. is outside the zone");
	cr_assert_eq(t.errors, 2);
	zt_free(&t);
}

Test(zone, glue)
{
	struct zt t;
	/* ns.sub is below the cut at sub: it needs glue */
	zt_load(&t, "example.com", "z", HEAD "sub NS ns.sub\nsub NS ns.other.net.\n");
	has_msg(&t, "z:5: error: NS ns.sub.example.com. of sub.example.com. is at or below the zone cut sub.example.com. but has no glue");
	cr_assert_eq(t.errors, 1, "an out-of-zone target needs no glue: %s", t.msgs);
	zt_free(&t);
	/* target below another delegation needs glue too */
	zt_load(&t, "example.com", "z", HEAD "a NS ns.b\nb NS ns.b\nns.b AAAA 2001:db8::53\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	zt_free(&t);
	/* in-zone, not delegated, no address: a warning */
	zt_load(&t, "example.com", "z", HEAD "sub NS nowhere\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	has_msg(&t, "warning: NS nowhere.example.com. of sub.example.com. is inside the zone but has no A/AAAA");
	zt_free(&t);
}

Test(zone, ttl_limit_rfc2181)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD "big 2147483648 A 198.51.100.1\nok 2147483647 A 198.51.100.1\n");
	has_msg(&t, "z:5: error: TTL 2147483648 above the maximum 2147483647 (RFC 2181 §8)");
	cr_assert_eq(t.errors, 1);
	zt_free(&t);
}

Test(zone, duplicates_dropped)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD
		"www A 198.51.100.2\nwww A 198.51.100.2\n"
		"mx MX 10 Mail.example.com.\nmx MX 10 mail.EXAMPLE.com.\n"
		"t TXT \"A\"\nt TXT \"a\"\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(t.st.duplicates, 2, "names compare case-insensitively, TXT does not");
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_A, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "mx.example.com.", RR_MX, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "t.example.com.", RR_TXT, NULL, NULL), 2);
	has_msg(&t, "z:6: warning: duplicate A record at www.example.com. dropped");
	zt_free(&t);
}

/* Owners whose records are not together (the model appends a name entry
 * per change of owner and merges repeats once the zone is in): the names
 * are counted once, their records form one set, a duplicate across the
 * split is still found, and checks that look names up (CNAME beside other
 * data, glue) see the merged name, also with the owner in other case. */
Test(zone, owners_not_together)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD
		"www A 198.51.100.2\nmail A 198.51.100.3\nWWW A 198.51.100.4\n"
		"mail AAAA 2001:db8::3\nwww A 198.51.100.2\nsub NS ns.sub\n"
		"x TXT \"x\"\nns.sub A 198.51.100.5\nsub DS 1 8 2 "
		"0000000000000000000000000000000000000000000000000000000000000000\n"
		"c A 198.51.100.6\nmail TXT \"m\"\nc CNAME www\n");
	cr_assert_eq(t.st.names, 8, "%s", t.msgs);
	cr_assert_eq(t.st.duplicates, 1);
	has_msg(&t, "z:9: warning: duplicate A record at www.example.com. dropped");
	has_msg(&t, "error: CNAME at c.example.com. beside other data (A at line 14)");
	cr_assert_eq(t.errors, 1, "%s", t.msgs);
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_A, NULL, NULL), 2);
	cr_assert_eq(zt_count(&t, "mail.example.com.", RR_A, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "mail.example.com.", RR_AAAA, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "mail.example.com.", RR_TXT, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "sub.example.com.", RR_DS, NULL, NULL), 1);
	zt_free(&t);
}

Test(zone, rejected_as_a_whole)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD "www A 198.51.100.2\nbad A nonsense\n");
	cr_assert_eq(t.errors, 1);
	/* the caller refuses the zone; the checker's verdict is the count */
	zt_free(&t);
}

static int count_cb(void *ud, const uint8_t *o, uint16_t t, uint32_t ttl, const uint8_t *rd,
		    uint16_t rdlen)
{
	(void)o; (void)t; (void)ttl; (void)rd; (void)rdlen;
	++*(size_t *)ud;
	return 0;
}

/* zone_expect only sets room aside: with no hint, a hint far too small
 * (the arrays grow past it) or the text's size, the same zone. */
Test(zone, expect_is_only_a_hint)
{
	size_t cap = 9000 * 40 + 256, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "%s", HEAD);
	for (int i = 0; i < 9000; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%d A 198.51.100.%d\n", i, i % 250);
	const uint64_t hints[] = { 0, 12, len, 100 * len };
	size_t want = 0;
	for (size_t k = 0; k < sizeof hints / sizeof hints[0]; k++) {
		struct zt t;
		if (k == 0)
			zt_load(&t, "example.com", "z", text);
		else
			zt_load_expect(&t, "example.com", "z", text, hints[k]);
		cr_assert_eq(t.errors, 0, "%s", t.msgs);
		cr_assert_eq(t.st.records, 9003, "hint %llu", (unsigned long long)hints[k]);
		cr_assert_eq(t.st.names, 9002);
		size_t n = 0;
		cr_assert_eq(zone_foreach(t.z, count_cb, &n), 0);
		if (k == 0)
			want = n;
		cr_assert_eq(n, want);
		zt_free(&t);
	}
	free(text);
}

/* The owners zone_foreach gives, in order (each once: its records are
 * together). */
struct owners {
	const uint8_t *name[16];
	size_t n;
};

static int owner_cb(void *ud, const uint8_t *o, uint16_t t, uint32_t ttl, const uint8_t *rd,
		    uint16_t rdlen)
{
	(void)t; (void)ttl; (void)rd; (void)rdlen;
	struct owners *w = ud;
	if (w->n == 0 || w->name[w->n - 1] != o) {
		cr_assert_lt(w->n, 16);
		w->name[w->n++] = o;
	}
	return 0;
}

/* zone_take_table hands over a table that finds the i-th owner of
 * zone_foreach at i + 1 under its hash, for every owner, merged repeats
 * included; once only, and not after the index is shed. */
Test(zone, take_table)
{
	struct zt t;
	zt_load(&t, "example.com", "z", HEAD
		"www A 198.51.100.2\nmail A 198.51.100.3\nWWW AAAA 2001:db8::2\n"
		"a.b.c TXT \"x\"\n*.w A 198.51.100.4\n");
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	struct owners w = { .n = 0 };
	cr_assert_eq(zone_foreach(t.z, owner_cb, &w), 0);
	cr_assert_eq(w.n, 6);
	uint32_t mask;
	size_t count;
	uint64_t *tab = zone_take_table(t.z, &mask, &count);
	cr_assert_not_null(tab);
	cr_assert_eq(count, w.n);
	cr_assert_eq(mask & (mask + 1), 0, "slots are a power of two");
	cr_assert_geq((size_t)mask + 1, 2 * count);
	size_t used = 0;
	for (size_t s = 0; s <= mask; s++)
		used += tab[s] != 0;
	cr_assert_eq(used, count);
	for (size_t i = 0; i < w.n; i++) {
		uint32_t h = (uint32_t)dname_hash(w.name[i]);
		uint32_t s = h & mask;
		while (tab[s] && tab[s] != ((uint64_t)h << 32 | (i + 1)))
			s = (s + 1) & mask;
		cr_assert_neq(tab[s], 0, "owner %zu not found", i);
	}
	free(tab);
	cr_assert_null(zone_take_table(t.z, &mask, &count), "handed over once");
	zt_free(&t);
	zt_load(&t, "example.com", "z", HEAD);
	zone_shed_index(t.z);
	cr_assert_null(zone_take_table(t.z, &mask, &count));
	zt_free(&t);
}

static void keep_last(void *ud, enum diag_sev sev, const char *file, unsigned line,
		      const char *msg)
{
	(void)sev, (void)file, (void)line;
	snprintf(ud, 256, "%s", msg);
}

/* zone_set_cancel: the parser stops at the record after the flag is set,
 * zone_finish and the compiler fail with ZONE_ERR_CANCELLED. */
Test(zone, cancelled_load)
{
	static volatile sig_atomic_t stop;
	static const char text[] = HEAD "a A 198.51.100.2\nb A 198.51.100.3\n";
	char last[256] = "";
	struct diag d = { .fn = keep_last, .ud = last };
	uint8_t o[DNAME_MAX];
	cr_assert_geq(dname_from_text(o, "example.com.", 12, NULL), 0);
	struct zone *z = zone_new(o, &d);
	zone_set_cancel(z, &stop);
	struct zf_options opt = { .origin = o };
	stop = 1;
	cr_assert_eq(zf_parse_mem("z", text, strlen(text), &opt, zone_add_cb, z, &d), -1,
		     "the parse goes on");
	cr_assert_eq(zone_finish(z), 1);
	cr_assert_str_eq(last, ZONE_ERR_CANCELLED);
	zone_free(z);

	stop = 0;
	d.errors = 0;
	z = zone_new(o, &d);
	zone_set_cancel(z, &stop);
	zf_parse_mem("z", text, strlen(text), &opt, zone_add_cb, z, &d);
	cr_assert_eq(zone_finish(z), 0, "%s", last);
	stop = 1;
	void *image = NULL;
	size_t size;
	char err[256];
	cr_assert_eq(zc_compile(z, &image, &size, err, sizeof err), -1);
	cr_assert_str_eq(err, ZONE_ERR_CANCELLED);
	cr_assert_null(image);
	zone_free(z);
}
