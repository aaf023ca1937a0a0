/*
 * test_rwrite.c - the response writer (zones/rwrite.c): name
 * compression (RFC 1035 §4.1.4, RFC 3597 §4), RRset encoding, rollback
 * when an RRset does not fit (RFC 2181 §9).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/rwrite.h"
#include "zones/wire.h"

static uint8_t buf[4096];

static void start(struct rw *w, size_t limit, const char *qname)
{
	uint8_t n[DNAME_MAX];
	int l = dname_from_text(n, qname, strlen(qname), NULL);
	cr_assert_gt(l, 0);
	memset(buf, 0, sizeof buf);
	rw_init(w, buf, limit);
	cr_assert(rw_question(w, n, (size_t)l, RR_A, RR_CLASS_IN));
}

static void wname(const char *txt, uint8_t out[DNAME_MAX])
{
	cr_assert_gt(dname_from_text(out, txt, strlen(txt), NULL), 0);
}

/* One rdata entry: RDLENGTH + RDATA. */
static size_t entry(uint8_t *p, const void *rd, size_t len)
{
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, rd, len);
	return len + 2;
}

Test(rwrite, owner_is_question_pointer)
{
	/* RFC 1035 §4.1.4: the query name once, then pointers to it */
	struct rw w;
	start(&w, 512, "WwW.example.com.");
	size_t q_end = w.pos;
	uint8_t rd[16];
	size_t n = entry(rd, "\xc0\x00\x02\x01", 4);
	n += entry(rd + n, "\xc0\x00\x02\x02", 4);
	cr_assert(rw_rrset(&w, RW_AN, NULL, RR_A, RR_CLASS_IN, 300, rd, 2));
	cr_assert_eq(w.cnt[RW_AN], 2);
	cr_assert_eq(buf[q_end], 0xc0);
	cr_assert_eq(buf[q_end + 1], 12);
	cr_assert_eq(w.pos - q_end, 2 * (2 + 10 + 4));
}

Test(rwrite, suffix_compression)
{
	struct rw w;
	start(&w, 512, "example.com.");
	uint8_t name[DNAME_MAX];
	wname("mail.EXAMPLE.com.", name);
	size_t at = w.pos;
	cr_assert(rw_name(&w, name));
	/* "\4mail" then a pointer to the question's example.com. */
	cr_assert_eq(w.pos - at, 7);
	cr_assert_eq(memcmp(buf + at, "\4mail\xc0\x0c", 7), 0);
	/* the same name again: one pointer to the first copy */
	size_t at2 = w.pos;
	cr_assert(rw_name(&w, name));
	cr_assert_eq(w.pos - at2, 2);
	cr_assert_eq(buf[at2], 0xc0);
	cr_assert_eq(buf[at2 + 1], at);
	/* a name sharing only "com." */
	wname("other.com.", name);
	size_t at3 = w.pos;
	cr_assert(rw_name(&w, name));
	cr_assert_eq(memcmp(buf + at3, "\5other\xc0\x14", 8), 0);
}

/* Unpacks the name at off with pointers followed. */
static void read_name(size_t off, size_t len, char *txt)
{
	struct wire_cur c;
	uint8_t n[DNAME_MAX];
	wire_init(&c, buf, len);
	c.pos = buf + off;
	cr_assert_gt(dname_unpack(&c, buf, len, n), 0);
	dname_to_text(txt, DNAME_TEXT_MAX, n);
}

Test(rwrite, rdata_compression_by_type)
{
	/* RFC 3597 §4: names in MX/SOA rdata compressed, in SRV not */
	struct rw w;
	start(&w, 512, "example.com.");
	uint8_t rd[300], name[DNAME_MAX];
	wname("mail.example.com.", name);
	uint8_t mx[2 + DNAME_MAX] = { 0, 10 };
	memcpy(mx + 2, name, dname_len(name));
	entry(rd, mx, 2 + dname_len(name));
	size_t at = w.pos;
	cr_assert(rw_rrset(&w, RW_AN, NULL, RR_MX, RR_CLASS_IN, 60, rd, 1));
	/* owner ptr(2) + 10 + preference(2) + "\4mail" + ptr(2) */
	cr_assert_eq(w.pos - at, 2 + 10 + 2 + 5 + 2);
	char txt[DNAME_TEXT_MAX];
	read_name(at + 14, w.pos, txt);
	cr_assert_str_eq(txt, "mail.example.com.");

	uint8_t srv[6 + DNAME_MAX] = { 0, 1, 0, 2, 0, 3 };
	memcpy(srv + 6, name, dname_len(name));
	entry(rd, srv, 6 + dname_len(name));
	at = w.pos;
	cr_assert(rw_rrset(&w, RW_AN, NULL, RR_SRV, RR_CLASS_IN, 60, rd, 1));
	cr_assert_eq(w.pos - at, 2 + 10 + 6 + dname_len(name));
	cr_assert_eq(memcmp(buf + at + 18, name, dname_len(name)), 0);
	/* RDLENGTH matches what was written */
	cr_assert_eq(buf[at + 10] << 8 | buf[at + 11], 6 + dname_len(name));

	uint8_t soa[2 * DNAME_MAX + 20];
	uint8_t rname[DNAME_MAX];
	wname("hostmaster.example.com.", rname);
	size_t sl = 0;
	memcpy(soa, name, dname_len(name));
	sl += dname_len(name);
	memcpy(soa + sl, rname, dname_len(rname));
	sl += dname_len(rname);
	memset(soa + sl, 7, 20);
	sl += 20;
	entry(rd, soa, sl);
	at = w.pos;
	cr_assert(rw_rrset(&w, RW_NS, NULL, RR_SOA, RR_CLASS_IN, 60, rd, 1));
	/* mname: pointer to the mail... name already written; rname: label + ptr */
	cr_assert_eq(w.pos - at, 2 + 10 + 2 + 11 + 2 + 20);
	read_name(at + 12, w.pos, txt);
	cr_assert_str_eq(txt, "mail.example.com.");
	read_name(at + 14, w.pos, txt);
	cr_assert_str_eq(txt, "hostmaster.example.com.");
	cr_assert_eq(w.cnt[RW_NS], 1);
}

Test(rwrite, rrset_all_or_nothing)
{
	/* RFC 2181 §9: no partial RRsets */
	struct rw w;
	start(&w, 60, "example.com.");
	uint8_t rd[64];
	size_t n = 0;
	for (int i = 0; i < 3; i++)
		n += entry(rd + n, "\1\2\3\4", 4);
	size_t before = w.pos;
	uint8_t nct = w.nct;
	/* 29 bytes of header+question; 3 RRs need 48 */
	cr_assert_not(rw_rrset(&w, RW_AN, NULL, RR_A, RR_CLASS_IN, 1, rd, 3));
	cr_assert_eq(w.pos, before);
	cr_assert_eq(w.cnt[RW_AN], 0);
	cr_assert_eq(w.nct, nct);
	cr_assert(rw_rrset(&w, RW_AN, NULL, RR_A, RR_CLASS_IN, 1, rd, 1));
	cr_assert_eq(w.cnt[RW_AN], 1);
	cr_assert_eq(rw_finish(&w, 1), w.pos);
	cr_assert_eq(buf[7], 1);
}

Test(rwrite, many_names_stay_decodable)
{
	/* past the fixed table's capacity names are written whole, still correct */
	struct rw w;
	start(&w, 4096, "example.com.");
	char txt[64], back[DNAME_TEXT_MAX];
	size_t offs[100];
	for (int i = 0; i < 100; i++) {
		uint8_t n[DNAME_MAX];
		snprintf(txt, sizeof txt, "h%d.s%d.example.com.", i, i % 7);
		wname(txt, n);
		offs[i] = w.pos;
		cr_assert(rw_name(&w, n));
	}
	for (int i = 0; i < 100; i++) {
		snprintf(txt, sizeof txt, "h%d.s%d.example.com.", i, i % 7);
		read_name(offs[i], w.pos, back);
		cr_assert_str_eq(back, txt);
	}
}

/* rw_compressed_type is a bit mask: exactly the RFC 1035 types whose RDATA
 * holds names (RFC 3597 §4), no other of the 65536. */
Test(rwrite, compressed_types_exactly)
{
	static const uint16_t named[] = { RR_NS, RR_MD, RR_MF, RR_CNAME, RR_SOA, RR_MB,
					  RR_MG, RR_MR, RR_PTR, RR_MINFO, RR_MX };
	for (uint32_t t = 0; t <= UINT16_MAX; t++) {
		bool want = false;
		for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
			want = want || named[k] == t;
		cr_assert_eq(rw_compressed_type((uint16_t)t), want, "type %u", t);
	}
}
