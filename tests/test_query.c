/*
 * test_query.c - the answer engine's query parser (dataplane/query.c):
 * header, question, OPT (RFC 1035 §4.1, RFC 6891 §6), malformed input.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dataplane/query.h"
#include "zones/rrtype.h"

/* A query for www.Example.com. A with the given flag bytes and counts. */
static size_t base_query(uint8_t *b, uint8_t f1, uint8_t f2, uint16_t qd, uint16_t ar)
{
	static const uint8_t name[] = "\3www\7Example\3com";
	size_t n = 0;
	b[n++] = 0x12; b[n++] = 0x34; b[n++] = f1; b[n++] = f2;
	b[n++] = (uint8_t)(qd >> 8); b[n++] = (uint8_t)qd;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 0;
	b[n++] = (uint8_t)(ar >> 8); b[n++] = (uint8_t)ar;
	memcpy(b + n, name, sizeof name);
	n += sizeof name;
	b[n++] = 0; b[n++] = RR_A; b[n++] = 0; b[n++] = RR_CLASS_IN;
	return n;
}

/* Appends an OPT RR: payload, version, DO, and opts[0..optlen) as RDATA. */
static size_t add_opt(uint8_t *b, size_t n, uint16_t payload, uint8_t ver, bool dobit,
		      const uint8_t *opts, uint16_t optlen)
{
	b[n++] = 0;
	b[n++] = 0; b[n++] = RR_OPT;
	b[n++] = (uint8_t)(payload >> 8); b[n++] = (uint8_t)payload;
	b[n++] = 0; b[n++] = ver; b[n++] = dobit ? 0x80 : 0; b[n++] = 0;
	b[n++] = (uint8_t)(optlen >> 8); b[n++] = (uint8_t)optlen;
	if (optlen)
		memcpy(b + n, opts, optlen);
	return n + optlen;
}

Test(query, plain_query_case_kept)
{
	/* RFC 1035 §4.1.1 header; RFC 4343 §4.1: the name as sent */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0x01, 0x10, 1, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_OK);
	cr_assert_eq(q.id, 0x1234);
	cr_assert(q.rd);
	cr_assert(q.cd);
	cr_assert(q.has_q);
	cr_assert_eq(q.qtype, RR_A);
	cr_assert_eq(q.qclass, RR_CLASS_IN);
	cr_assert_eq(q.qname_len, 17);
	cr_assert_eq(memcmp(q.qname, "\3www\7Example\3com", 17), 0);
	cr_assert_not(q.edns);
}

Test(query, dropped)
{
	/* shorter than a header, or a response (QR=1): no reply at all */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 1, 0);
	cr_assert_eq(qry_parse(b, 11, &q), QRY_DROP);
	cr_assert_eq(qry_parse(b, 0, &q), QRY_DROP);
	b[2] |= 0x80;
	cr_assert_eq(qry_parse(b, n, &q), QRY_DROP);
}

Test(query, question_count)
{
	/* RFC 1035 §4.1.2: one question */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 0, 0);
	cr_assert_eq(qry_parse(b, 12, &q), QRY_FORMERR);
	cr_assert_not(q.has_q);
	n = base_query(b, 0, 0, 2, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_FORMERR);
}

Test(query, truncated_question)
{
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 1, 0);
	for (size_t l = 12; l < n; l++)
		cr_assert_eq(qry_parse(b, l, &q), QRY_FORMERR, "length %zu", l);
}

Test(query, compression_pointers_bounded)
{
	/* RFC 1035 §4.1.4: a pointer to itself, forward, or out of the buffer */
	uint8_t b[64] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct qry q;
	b[12] = 0xc0; b[13] = 12;	/* points at itself */
	b[14] = 0; b[15] = 1; b[16] = 0; b[17] = 1;
	cr_assert_eq(qry_parse(b, 18, &q), QRY_FORMERR);
	b[13] = 40;			/* forward */
	cr_assert_eq(qry_parse(b, 18, &q), QRY_FORMERR);
	b[12] = 0xff; b[13] = 0xff;	/* out of the message */
	cr_assert_eq(qry_parse(b, 18, &q), QRY_FORMERR);
	b[12] = 0x40;			/* label type 01 (RFC 6891 §5) */
	cr_assert_eq(qry_parse(b, 18, &q), QRY_FORMERR);
}

Test(query, opcode_notimp)
{
	/* RFC 1035 §4.1.1: opcode STATUS (2) is not implemented */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 2 << 3, 0, 1, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_NOTIMP);
	cr_assert_eq(q.opcode, 2);
	cr_assert(q.has_q);
}

Test(query, edns)
{
	/* RFC 6891 §6.1.2/§6.1.3, RFC 3225 (DO), RFC 5001 (NSID) */
	uint8_t b[512];
	struct qry q;
	static const uint8_t opts[] = { 0, 3, 0, 0, 0xfd, 0xe9, 0, 2, 0xaa, 0xbb };
	size_t n = base_query(b, 0, 0, 1, 1);
	n = add_opt(b, n, 4096, 0, true, opts, sizeof opts);
	cr_assert_eq(qry_parse(b, n, &q), QRY_OK);
	cr_assert(q.edns);
	cr_assert(q.do_bit);
	cr_assert(q.nsid);
	cr_assert_eq(q.payload, 4096);
	cr_assert_eq(q.edns_ver, 0);
}

Test(query, edns_badvers)
{
	/* RFC 6891 §6.1.3: version above 0 gets BADVERS */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 1, 1);
	n = add_opt(b, n, 1232, 1, false, NULL, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_BADVERS);
	cr_assert(q.edns);
	cr_assert_eq(q.edns_ver, 1);
}

Test(query, edns_two_opt)
{
	/* RFC 6891 §6.1.1: more than one OPT is FORMERR */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 1, 2);
	n = add_opt(b, n, 1232, 0, false, NULL, 0);
	n = add_opt(b, n, 1232, 0, false, NULL, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_FORMERR);
}

Test(query, edns_bad_options)
{
	/* an option running past the RDATA; an OPT owner other than root */
	uint8_t b[512];
	struct qry q;
	static const uint8_t bad[] = { 0, 3, 0, 9, 1 };
	size_t n = base_query(b, 0, 0, 1, 1);
	n = add_opt(b, n, 1232, 0, false, bad, sizeof bad);
	cr_assert_eq(qry_parse(b, n, &q), QRY_FORMERR);

	n = base_query(b, 0, 0, 1, 1);
	size_t at = n;
	n = add_opt(b, n, 1232, 0, false, NULL, 0);
	memmove(b + at + 2, b + at, n - at);	/* owner "\1a" instead of root */
	b[at] = 1; b[at + 1] = 'a';
	b[at + 2] = 0;
	cr_assert_eq(qry_parse(b, n + 2, &q), QRY_FORMERR);
}

Test(query, opt_outside_additional)
{
	/* RFC 6891 §6.1.1: OPT only in the additional section */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 1, 0);
	b[7] = 1;	/* ANCOUNT 1 */
	n = add_opt(b, n, 1232, 0, false, NULL, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_FORMERR);
}

Test(query, records_skipped)
{
	/* other records in a query are read (bounds-checked) and ignored */
	uint8_t b[512];
	struct qry q;
	size_t n = base_query(b, 0, 0, 1, 2);
	static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
	memcpy(b + n, rr, sizeof rr);
	n += sizeof rr;
	n = add_opt(b, n, 1400, 0, false, NULL, 0);
	cr_assert_eq(qry_parse(b, n, &q), QRY_OK);
	cr_assert_eq(q.payload, 1400);
	/* ... and a record cut short is FORMERR */
	cr_assert_eq(qry_parse(b, n - 12, &q), QRY_FORMERR);
}

/* A query with one COOKIE option of n bytes (0, 1, 2, ...). */
static enum qry_status cookie_query(size_t n, struct qry *q)
{
	uint8_t b[512], opt[64];
	opt[0] = 0; opt[1] = 10;
	opt[2] = (uint8_t)(n >> 8); opt[3] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		opt[4 + i] = (uint8_t)i;
	size_t len = add_opt(b, base_query(b, 0x01, 0, 1, 1), 1232, 0, false, opt,
			     (uint16_t)(4 + n));
	return qry_parse(b, len, q);
}

Test(query, cookie_lengths)
{
	/* RFC 7873 §5.2.2: 8 (client only) or 16..40; others FORMERR */
	struct qry q;
	for (size_t n = 0; n <= 48; n++) {
		enum qry_status st = cookie_query(n, &q);
		bool ok = n == 8 || (n >= 16 && n <= 40);
		cr_assert_eq(st, ok ? QRY_OK : QRY_FORMERR, "length %zu", n);
		if (ok) {
			cr_assert_eq(q.cookie_len, n);
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(q.cookie[i], i);
			cr_assert_not(q.cookie_ok);
		}
	}
	/* without one */
	uint8_t b[512];
	cr_assert_eq(qry_parse(b, add_opt(b, base_query(b, 0x01, 0, 1, 1), 1232, 0, false, NULL, 0),
			       &q), QRY_OK);
	cr_assert_eq(q.cookie_len, 0);
}
