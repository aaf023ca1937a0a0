/*
 * test_dname.c - domain names (RFC 1035 §2.3.4, §3.1, §4.1.4; RFC 4034 §6.1),
 * the wire cursor and TTL text.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/ttl.h"
#include "zones/wire.h"

static const uint8_t ORIGIN[] = "\7example\3com";	/* + implicit 0 */

static int from(uint8_t *out, const char *s)
{
	return dname_from_text(out, s, strlen(s), ORIGIN);
}

Test(dname, absolute_and_relative)
{
	uint8_t n[DNAME_MAX];
	cr_assert_eq(from(n, "www.example.com."), 17);
	cr_assert(memcmp(n, "\3www\7example\3com", 17) == 0);
	cr_assert_eq(from(n, "www"), 17);
	cr_assert(memcmp(n, "\3www\7example\3com", 17) == 0);
	cr_assert_eq(from(n, "@"), 13);
	cr_assert(memcmp(n, ORIGIN, 13) == 0);
	cr_assert_eq(from(n, "."), 1);
	cr_assert_eq(n[0], 0);
	cr_assert_eq(dname_from_text(n, "a", 1, NULL), DNAME_ERELATIVE);
}

Test(dname, escapes)
{
	uint8_t n[DNAME_MAX];
	char t[DNAME_TEXT_MAX];
	cr_assert_eq(from(n, "a\\.b.c."), 7);
	cr_assert(memcmp(n, "\3a.b\1c", 6) == 0);
	cr_assert_eq(from(n, "\\065\\000x."), 5);
	cr_assert(memcmp(n, "\3A\0x", 5) == 0);
	cr_assert_eq(from(n, "\\256."), DNAME_EESCAPE);
	cr_assert_eq(from(n, "ab\\"), DNAME_EESCAPE);
	cr_assert_eq(from(n, "ab\\12"), DNAME_EESCAPE);
	/* text round trip escapes what needs it */
	cr_assert_eq(from(n, "a\\.b\\032\\\"q\\009.c."), 11);
	cr_assert_gt(dname_to_text(t, sizeof t, n), 0);
	cr_assert_str_eq(t, "a\\.b\\ \\\"q\\009.c.");
	uint8_t m[DNAME_MAX];
	cr_assert_eq(from(m, t), 11);
	cr_assert(memcmp(n, m, 11) == 0);
}

Test(dname, limits)
{
	uint8_t n[DNAME_MAX];
	char s[600];
	memset(s, 'a', 63);
	strcpy(s + 63, ".");
	cr_assert_eq(from(n, s), 65);
	memset(s, 'a', 64);
	strcpy(s + 64, ".");
	cr_assert_eq(from(n, s), DNAME_ELABEL);
	/* 4 x 63-octet labels = 4*64+1 = 257 > 255 */
	s[0] = 0;
	for (int k = 0; k < 4; k++) {
		size_t l = strlen(s);
		memset(s + l, 'b', 63);
		strcpy(s + l + 63, ".");
	}
	cr_assert_eq(from(n, s), DNAME_ELONG);
	/* exactly 255: 3 x 63 + one 61-octet label: 3*64 + 62 + 1 = 255 */
	s[0] = 0;
	for (int k = 0; k < 3; k++) {
		size_t l = strlen(s);
		memset(s + l, 'c', 63);
		strcpy(s + l + 63, ".");
	}
	size_t l = strlen(s);
	memset(s + l, 'd', 61);
	strcpy(s + l + 61, ".");
	cr_assert_eq(from(n, s), 255);
	/* and a relative name that only overflows with the origin */
	s[strlen(s) - 1] = 0;
	cr_assert_eq(from(n, s), DNAME_ELONG);
	cr_assert_eq(from(n, "a..b."), DNAME_EEMPTYLABEL);
	cr_assert_eq(from(n, ".a."), DNAME_EEMPTYLABEL);
	cr_assert_eq(dname_from_text(n, "", 0, ORIGIN), DNAME_EEMPTY);
}

Test(dname, compare_case_insensitive)
{
	uint8_t a[DNAME_MAX], b[DNAME_MAX];
	from(a, "WwW.ExAmple.COM.");
	from(b, "www.example.com.");
	cr_assert(dname_eq(a, b));
	cr_assert_eq(dname_hash(a), dname_hash(b));
	cr_assert(dname_in(a, ORIGIN));
	cr_assert(!dname_in(ORIGIN, a));
	from(b, "xample.com.");
	cr_assert(!dname_in(a, b), "label boundaries matter");
	dname_lower(a);
	cr_assert(memcmp(a, "\3www\7example\3com", 17) == 0);
	cr_assert_eq(dname_labels(a), 3);
	cr_assert_eq(dname_labels((const uint8_t *)""), 0);
	cr_assert(dname_is_wildcard((const uint8_t *)"\1*\3com"));
}

/* RFC 4034 §6.1 gives this list in canonical order. */
/* The word-wise hash (dname_hash_bytes, the snapshot's bucket hash):
 * names that differ only in ASCII letter case hash alike at every length
 * and alignment (tail loads included); the neighbours of the letter ranges
 * ('@' '[' '`' '{') and bytes >= 0x80 are not folded (RFC 4343 §3). */
Test(dname, hash_word_wise)
{
	uint8_t a[DNAME_MAX], b[DNAME_MAX];
	unsigned seed = 7;
	for (size_t total = 2; total <= 255; total++) {
		/* labels of up to 63 bytes filling total - 1 bytes, then root */
		size_t o = 0;
		while (o < total - 1) {
			size_t l = total - 1 - o - 1;
			if (l > 63)
				l = 63;
			if (l == 0) {
				/* one byte left: cannot hold a label; pad the last */
				break;
			}
			a[o] = b[o] = (uint8_t)l;
			for (size_t k = 1; k <= l; k++) {
				seed = seed * 1103515245u + 12345u;
				uint8_t c = (uint8_t)('a' + (seed >> 16) % 26);
				a[o + k] = c;
				b[o + k] = (seed >> 8) & 1 ? (uint8_t)(c - 32) : c;
			}
			o += l + 1;
		}
		a[o] = b[o] = 0;
		cr_assert(dname_eq(a, b));
		cr_assert_eq(dname_hash(a), dname_hash(b), "length %zu", o + 1);
		cr_assert_eq(dname_hash_bytes(a, o + 1), dname_hash(a));
		size_t len;
		cr_assert_eq(dname_hash_len(b, &len), dname_hash(a));
		cr_assert_eq(len, o + 1);
	}
	static const char pairs[][2] = { { '@', '`' }, { '[', '{' }, { 'Z', '[' }, { 'A', '@' } };
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		uint8_t x[12] = { 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', (uint8_t)pairs[i][0], 0 };
		uint8_t y[12] = { 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', (uint8_t)pairs[i][1], 0 };
		cr_assert_neq(dname_hash(x), dname_hash(y), "%c folded onto %c", pairs[i][0],
			      pairs[i][1]);
	}
	uint8_t hi[4] = { 2, 0xc1, 'x', 0 }, lo[4] = { 2, 0xe1, 'x', 0 };
	cr_assert_neq(dname_hash(hi), dname_hash(lo), "bytes >= 0x80 are not letters");
}

Test(dname, canonical_order_rfc4034)
{
	const char *order[] = {
		"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
		"zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
		"\\200.z.example.",
	};
	uint8_t n[9][DNAME_MAX];
	for (int k = 0; k < 9; k++)
		cr_assert_gt(from(n[k], order[k]), 0);
	for (int i = 0; i < 9; i++)
		for (int j = 0; j < 9; j++) {
			int c = dname_canon_cmp(n[i], n[j]);
			int want = i < j ? -1 : i > j;
			cr_assert_eq(c < 0 ? -1 : c > 0, want, "%s vs %s", order[i], order[j]);
		}
}

Test(dname, unpack_compression)
{
	/* header(12) + "a.example." at 12 + pointer to it at 23 */
	uint8_t msg[64] = {0};
	memcpy(msg + 12, "\1a\7example\0", 11);
	msg[23] = 0xc0;
	msg[24] = 12;
	uint8_t out[DNAME_MAX];
	struct wire_cur c;
	wire_init(&c, msg + 23, 2);
	cr_assert_eq(dname_unpack(&c, msg, 25, out), 11);
	cr_assert(memcmp(out, "\1a\7example", 11) == 0);
	cr_assert(wire_done(&c));

	/* a pointer to itself, and a forward pointer, are refused */
	msg[30] = 0xc0;
	msg[31] = 30;
	wire_init(&c, msg + 30, 2);
	cr_assert_eq(dname_unpack(&c, msg, 32, out), DNAME_EPTR);
	cr_assert(!wire_ok(&c));
	msg[30] = 0xc0;
	msg[31] = 40;
	wire_init(&c, msg + 30, 2);
	cr_assert_eq(dname_unpack(&c, msg, 64, out), DNAME_EPTR);
	/* truncated label */
	wire_init(&c, (const uint8_t *)"\5ab", 3);
	cr_assert_eq(dname_unpack(&c, NULL, 0, out), DNAME_ETRUNC);
	/* extended label type */
	wire_init(&c, (const uint8_t *)"\x41", 1);
	cr_assert_eq(dname_unpack(&c, NULL, 0, out), DNAME_ELABELTYPE);
	cr_assert_eq(dname_check((const uint8_t *)"\1a\0", 3), 3);
	cr_assert_eq(dname_check((const uint8_t *)"\1a", 2), DNAME_ETRUNC);
}

Test(wire, cursor_sticky_error)
{
	const uint8_t b[] = {1, 2, 3};
	struct wire_cur c;
	wire_init(&c, b, sizeof b);
	cr_assert_eq(wire_u16(&c), 0x0102);
	cr_assert_eq(wire_u16(&c), 0, "read past the end yields 0");
	cr_assert(!wire_ok(&c));
	cr_assert_eq(wire_u8(&c), 0, "error is sticky");
	cr_assert_eq(wire_left(&c), 0);
}

Test(ttl, units)
{
	uint32_t v;
	cr_assert_eq(ttl_from_text("3600", 4, &v), 0);
	cr_assert_eq(v, 3600);
	cr_assert_eq(ttl_from_text("1h30m", 5, &v), 0);
	cr_assert_eq(v, 5400);
	cr_assert_eq(ttl_from_text("1W2d3H4m5S", 10, &v), 0);
	cr_assert_eq(v, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	cr_assert_eq(ttl_from_text("4294967295", 10, &v), 0);
	cr_assert_eq(ttl_from_text("4294967296", 10, &v), TTL_ERANGE);
	cr_assert_eq(ttl_from_text("1x", 2, &v), TTL_ESYNTAX);
	cr_assert_eq(ttl_from_text("h", 1, &v), TTL_ESYNTAX);
	cr_assert_eq(ttl_from_text("", 0, &v), TTL_ESYNTAX);
}
