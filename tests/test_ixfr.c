/*
 * test_ixfr.c - IXFR in, the parts that do not need a network: the steps
 * of an answer's incremental form as read record by record
 * (control/ixstream.h), the file they travel in (control/zdfile.h), the
 * steps checked against and applied to a served image with the result
 * written as zone text (control/zdapply.h), and a journal kept from the
 * steps as they came (jr_add_diff) that says what one kept by walking
 * the two images says.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/ixstream.h"
#include "control/journal.h"
#include "control/zdapply.h"
#include "control/zdfile.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/rrtype.h"
#include "zones/snap.h"
#include "zones/zonefile.h"
#include "tests/zt.h"

#define SOA(n) "@ SOA ns1 hostmaster " #n " 7200 3600 1209600 60\n"

static const char BASE[] =
	"$TTL 300\n"
	SOA(5)
	"@ NS ns1\n"
	"@ MX 10 mail\n"
	"ns1 A 198.51.100.1\n"
	"mail A 198.51.100.25\n"
	"www A 198.51.100.80\n"
	"www A 198.51.100.81\n"
	"www RRSIG A 8 3 300 20300101000000 20200101000000 4711 example.com. AAAA\n"
	"old RRSIG TXT 8 3 300 20300101000000 20200101000000 4711 example.com. AAAA\n"
	"*.wild TXT \"wildcard\"\n";

/* ------------------------------------------------------------ helpers */

static int put_rec(void *ud, const struct zf_record *rr)
{
	cr_assert(zdf_put(ud, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen));
	return 0;
}

/* The records of text (zone-file lines in example.com., $TTL 300) added
 * to l. */
static void recs(struct zdf_list *l, const char *text)
{
	uint8_t o[DNAME_MAX];
	cr_assert(dname_from_text(o, "example.com.", 12, NULL) > 0);
	struct zf_options opt = { .origin = o };
	char buf[4096];
	snprintf(buf, sizeof buf, "$TTL 300\n%s", text);
	struct diag d = { 0 };
	zf_parse_mem("step", buf, strlen(buf), &opt, put_rec, l, &d);
	cr_assert_eq(d.errors, 0, "%s", buf);
}

/* A step: its lists and the diff over them. */
struct step {
	struct zdf_list del, add;
	struct zdiff d;
};

/* Step from -> to deleting del and adding add (text; each list's SOA
 * first, made here). */
static void step_make(struct step *s, uint32_t from, uint32_t to, const char *del,
		      const char *add)
{
	char soa[128];
	memset(s, 0, sizeof *s);
	snprintf(soa, sizeof soa, "@ SOA ns1 hostmaster %u 7200 3600 1209600 60\n", from);
	recs(&s->del, soa);
	recs(&s->del, del);
	snprintf(soa, sizeof soa, "@ SOA ns1 hostmaster %u 7200 3600 1209600 60\n", to);
	recs(&s->add, soa);
	recs(&s->add, add);
	s->d = (struct zdiff){ .from = from, .to = to, .del = s->del.p, .del_len = s->del.len,
			       .ndel = s->del.n, .add = s->add.p, .add_len = s->add.len,
			       .nadd = s->add.n };
}

static void step_free(struct step *s)
{
	zdf_list_free(&s->del);
	zdf_list_free(&s->add);
}

/* The version a holds, written, then loaded again into t. */
static char *written(const struct zda *a, struct zt *t)
{
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	cr_assert_eq(zda_write(a, f, err, sizeof err), 0, "%s", err);
	fclose(f);
	zt_load(t, "example.com", "written", text);
	cr_assert_eq(t->errors, 0, "%s\n%s", t->msgs, text);
	return text;
}

/* Applying s to a fresh version of c fails with a reason holding want. */
static void refused(struct zt_cz *c, struct step *s, const char *want)
{
	char err[512] = "";
	struct zda *a = zda_new(c->s);
	cr_assert_eq(zda_apply(a, &s->d, err, sizeof err), -1, "applied; wanted: %s", want);
	cr_assert(strstr(err, want), "'%s' does not say '%s'", err, want);
	zda_free(a);
}

/* ------------------------------------------------------------ zdapply */

Test(zdapply, one_step_applies)
{
	struct zt_cz c = { 0 };
	zt_cz_load(&c, "example.com", BASE);
	struct step s;
	step_make(&s, 5, 6, "MAIL 999 A 198.51.100.25\n*.wild TXT \"wildcard\"\n",
		  "mail 600 A 198.51.100.26\nnew AAAA 2001:db8::1\n");
	struct zda *a = zda_new(c.s);
	char err[512];
	cr_assert_eq(zda_apply(a, &s.d, err, sizeof err), 0, "%s", err);
	cr_assert_eq(zda_serial(a), 6);
	struct zt t;
	char *text = written(a, &t);
	uint32_t ttl;
	cr_assert_eq(zt_count(&t, "example.com.", RR_SOA, NULL, NULL), 1);
	cr_assert_eq(t.st.serial, 6);
	cr_assert_eq(zt_count(&t, "mail.example.com.", RR_A, NULL, &ttl), 1);
	cr_assert_eq(zt_count(&t, "mail.example.com.", RR_A, "198.51.100.26", NULL), 1);
	cr_assert_eq(ttl, 600);
	cr_assert_eq(zt_count(&t, "new.example.com.", RR_AAAA, "2001:db8::1", NULL), 1);
	cr_assert_eq(zt_count(&t, "*.wild.example.com.", RR_TXT, NULL, NULL), 0);
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_A, NULL, NULL), 2);
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_RRSIG, NULL, NULL), 1);
	cr_assert_eq(zt_count(&t, "old.example.com.", RR_RRSIG, NULL, NULL), 1);
	cr_assert_eq(t.st.records, c.t.st.records, "%s", text);
	free(text);
	zt_free(&t);
	zda_free(a);
	step_free(&s);
	zt_cz_free(&c);
}

/* Two steps: what the first adds the second deletes, what the first
 * deletes the second adds back with another TTL; signatures too. */
Test(zdapply, steps_chain)
{
	struct zt_cz c = { 0 };
	zt_cz_load(&c, "example.com", BASE);
	struct step s1, s2;
	step_make(&s1, 5, 6, "www A 198.51.100.81\n"
		  "old RRSIG TXT 8 3 300 20300101000000 20200101000000 4711 example.com. AAAA\n",
		  "tmp TXT \"short-lived\"\n");
	step_make(&s2, 6, 7, "tmp TXT \"short-lived\"\n"
		  "www RRSIG A 8 3 300 20300101000000 20200101000000 4711 example.com. AAAA\n",
		  "www 60 A 198.51.100.81\n");
	struct zda *a = zda_new(c.s);
	char err[512];
	cr_assert_eq(zda_apply(a, &s1.d, err, sizeof err), 0, "%s", err);
	cr_assert_eq(zda_apply(a, &s2.d, err, sizeof err), 0, "%s", err);
	cr_assert_eq(zda_serial(a), 7);
	struct zt t;
	char *text = written(a, &t);
	cr_assert_eq(t.st.serial, 7);
	cr_assert_eq(zt_count(&t, "tmp.example.com.", RR_TXT, NULL, NULL), 0, "%s", text);
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_A, "198.51.100.81", NULL), 1, "%s", text);
	cr_assert_eq(zt_count(&t, "www.example.com.", RR_RRSIG, NULL, NULL), 0, "%s", text);
	cr_assert_eq(zt_count(&t, "old.example.com.", RR_RRSIG, NULL, NULL), 0, "%s", text);
	cr_assert(strstr(text, "www.example.com. 60 IN A 198.51.100.81"), "%s", text);
	free(text);
	zt_free(&t);
	zda_free(a);
	step_free(&s1);
	step_free(&s2);
	zt_cz_free(&c);
}

Test(zdapply, broken_steps_refused)
{
	struct zt_cz c = { 0 };
	zt_cz_load(&c, "example.com", BASE);
	struct step s;
	step_make(&s, 5, 6, "gone A 192.0.2.1\n", "");
	refused(&c, &s, "deletes gone.example.com. 300 IN A 192.0.2.1, which serial 5 does not");
	step_free(&s);
	step_make(&s, 5, 6, "", "www A 198.51.100.80\n");
	refused(&c, &s, "holds already");
	step_free(&s);
	step_make(&s, 5, 6, "www RRSIG A 8 3 300 20300101000000 20200101000000 4711 "
		  "example.com. BBBB\n", "");
	refused(&c, &s, "does not hold");
	step_free(&s);
	step_make(&s, 4, 6, "", "");
	refused(&c, &s, "does not start at serial 5");
	step_free(&s);
	step_make(&s, 5, 5, "", "");
	refused(&c, &s, "the serial does not increase");
	step_free(&s);
	step_make(&s, 5, 0x80000005u, "", "");
	refused(&c, &s, "the serial does not increase");
	step_free(&s);
	step_make(&s, 5, 6, "", "other.test. A 192.0.2.1\n");
	refused(&c, &s, "not in the zone");
	step_free(&s);
	step_make(&s, 5, 6, "", SOA(7));
	refused(&c, &s, "a second SOA");
	step_free(&s);
	/* the deleted SOA must be the one held, timers and all */
	step_make(&s, 5, 6, "", "");
	zdf_list_free(&s.del);
	recs(&s.del, "@ SOA ns1 hostmaster 5 7201 3600 1209600 60\n");
	s.d.del = s.del.p;
	s.d.del_len = s.del.len;
	refused(&c, &s, "deletes example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. "
		"5 7201 3600 1209600 60, which serial 5 does not hold");
	step_free(&s);
	zt_cz_free(&c);
}

/* A step that fails leaves the steps before it unwritten: the caller
 * frees the version; the image is never changed. */
Test(zdapply, second_step_fails_whole)
{
	struct zt_cz c = { 0 };
	zt_cz_load(&c, "example.com", BASE);
	struct step s1, s2;
	step_make(&s1, 5, 6, "www A 198.51.100.80\n", "");
	step_make(&s2, 6, 7, "www A 198.51.100.80\n", "");
	struct zda *a = zda_new(c.s);
	char err[512];
	cr_assert_eq(zda_apply(a, &s1.d, err, sizeof err), 0, "%s", err);
	cr_assert_eq(zda_apply(a, &s2.d, err, sizeof err), -1);
	cr_assert(strstr(err, "step 6 -> 7 deletes www.example.com."), "%s", err);
	zda_free(a);
	/* the image as it was: a fresh version still holds the record */
	a = zda_new(c.s);
	cr_assert_eq(zda_apply(a, &s1.d, err, sizeof err), 0, "%s", err);
	zda_free(a);
	step_free(&s1);
	step_free(&s2);
	zt_cz_free(&c);
}

/* --------------------------------------------------- ixstream, zdfile */

static void feed(struct ixs *x, const char *text, int want)
{
	struct zdf_list l = { 0 };
	recs(&l, text);
	const uint8_t *p = l.p;
	char err[256] = "";
	int rc = 0;
	for (uint32_t i = 0; i < l.n && rc == 0; i++) {
		struct zdf_rec r;
		p = zdf_rec_at(p, &r);
		rc = ixs_take(x, &r, err, sizeof err);
	}
	cr_assert_eq(rc, want, "%s", err);
	zdf_list_free(&l);
}

Test(ixstream, steps_to_file_and_back)
{
	char path[] = "/tmp/ringdns-ixfr-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	uint8_t origin[DNAME_MAX];
	dname_from_text(origin, "example.com.", 12, NULL);
	struct ixs x;
	ixs_begin(&x, f, origin, 7);
	/* after the first SOA (7): 5, deleted, 6, added, 6, 7, added, 7 */
	feed(&x, SOA(5) "www A 198.51.100.80\n" SOA(6) "new A 192.0.2.6\n" SOA(6) SOA(7)
	     "new A 192.0.2.7\n", 0);
	cr_assert(!ixs_done(&x));
	feed(&x, SOA(7), 0);
	cr_assert(ixs_done(&x));
	cr_assert_eq(x.steps, 2);
	feed(&x, "www A 192.0.2.1\n", -1);
	ixs_free(&x);
	fclose(f);

	struct zdf_steps st;
	char err[256];
	cr_assert_eq(zdf_read(path, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(st.n, 2);
	cr_assert_eq(st.v[0].from, 5);
	cr_assert_eq(st.v[0].to, 6);
	cr_assert_eq(st.v[0].ndel, 2);
	cr_assert_eq(st.v[0].nadd, 2);
	cr_assert_eq(st.v[1].from, 6);
	cr_assert_eq(st.v[1].to, 7);
	cr_assert_eq(st.v[1].ndel, 1);
	cr_assert_eq(st.v[1].nadd, 2);
	struct zdf_rec r;
	char line[4096];
	zdf_rec_at(zdf_rec_at(st.v[1].add, &r), &r);
	cr_assert_gt(zdf_rec_text(&r, line, sizeof line), 0);
	cr_assert_str_eq(line, "new.example.com. 300 IN A 192.0.2.7");
	/* the steps apply to BASE */
	struct zt_cz c = { 0 };
	zt_cz_load(&c, "example.com", BASE);
	struct zda *a = zda_new(c.s);
	for (size_t i = 0; i < st.n; i++)
		cr_assert_eq(zda_apply(a, &st.v[i], err, sizeof err), 0, "%s", err);
	cr_assert_eq(zda_serial(a), 7);
	zda_free(a);
	zt_cz_free(&c);
	zdf_steps_free(&st);

	/* a file cut short, or not a file of steps, is refused */
	cr_assert_eq(truncate(path, 50), 0);
	cr_assert_eq(zdf_read(path, &st, err, sizeof err), -1);
	cr_assert(strstr(err, "malformed"), "%s", err);
	f = fopen(path, "w");
	fputs("$ORIGIN .\nexample.com. 300 IN A 192.0.2.1\n", f);
	fclose(f);
	cr_assert_eq(zdf_read(path, &st, err, sizeof err), -1);
	unlink(path);
}

Test(ixstream, soa_not_at_apex)
{
	uint8_t origin[DNAME_MAX];
	dname_from_text(origin, "example.com.", 12, NULL);
	FILE *f = fopen("/dev/null", "w");
	struct ixs x;
	ixs_begin(&x, f, origin, 7);
	feed(&x, "sub SOA ns1 hostmaster 5 7200 3600 1209600 60\n", -1);
	ixs_free(&x);
	ixs_begin(&x, f, origin, 7);
	feed(&x, "www A 192.0.2.1\n", -1);
	ixs_free(&x);
	fclose(f);
}

/* ------------------------------------------------------- jr_add_diff */

static void collect_line(void *ud, const char *text)
{
	FILE *f = ud;
	fprintf(f, "%s\n", text);
}

static char *printed(const struct journal *j)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	jr_print(j, collect_line, f);
	fclose(f);
	return text;
}

struct soas {
	uint32_t v[16];
	size_t n;
};

/* The serials of the SOAs in an IXFR response message. */
static int soa_serials(void *ud, const uint8_t *m, size_t len)
{
	struct soas *s = ud;
	size_t at = 12;
	unsigned qd = (unsigned)(m[4] << 8 | m[5]), an = (unsigned)(m[6] << 8 | m[7]);
	for (unsigned i = 0; i < qd; i++) {
		while (m[at] && (m[at] & 0xc0) != 0xc0)
			at += m[at] + 1u;
		at += (m[at] & 0xc0) ? 2 : 1;
		at += 4;
	}
	for (unsigned i = 0; i < an && at < len; i++) {
		while (m[at] && (m[at] & 0xc0) != 0xc0)
			at += m[at] + 1u;
		at += (m[at] & 0xc0) ? 2 : 1;
		uint16_t type = (uint16_t)(m[at] << 8 | m[at + 1]);
		uint16_t rdlen = (uint16_t)(m[at + 8] << 8 | m[at + 9]);
		const uint8_t *rd = m + at + 10 + rdlen - 20;
		if (type == RR_SOA && s->n < 16)
			s->v[s->n++] = (uint32_t)rd[0] << 24 | (uint32_t)rd[1] << 16 |
				       (uint32_t)rd[2] << 8 | rd[3];
		at += 10u + rdlen;
	}
	return 0;
}

/* The step as received says what the walk of the two images says, and
 * IXFR out is written from it. */
Test(journal, from_diff_as_from_images)
{
	static const char V6[] =
		"$TTL 300\n"
		SOA(6)
		"@ NS ns1\n"
		"@ MX 10 mail\n"
		"ns1 A 198.51.100.1\n"
		"mail A 198.51.100.26\n"
		"www A 198.51.100.80\n"
		"www A 198.51.100.81\n"
		"www RRSIG A 8 3 300 20300101000000 20200101000000 4711 example.com. AAAA\n"
		"old RRSIG TXT 8 3 300 20300101000000 20200101000000 4711 example.com. AAAA\n"
		"*.wild TXT \"wildcard\"\n"
		"new AAAA 2001:db8::1\n";
	struct zt_cz c5 = { 0 }, c6 = { 0 };
	zt_cz_load(&c5, "example.com", BASE);
	zt_cz_load(&c6, "example.com", V6);
	struct journal *walk = jr_new(1 << 20), *diff = jr_new(1 << 20);
	cr_assert_eq(jr_add(walk, c5.s, c6.s), 0);
	struct step s;
	step_make(&s, 5, 6, "mail A 198.51.100.25\n", "mail A 198.51.100.26\nnew AAAA 2001:db8::1\n");
	cr_assert_eq(jr_add_diff(diff, &s.d), 0);
	char *a = printed(walk), *b = printed(diff);
	cr_assert_str_eq(b, a);
	cr_assert(strstr(b, "serial 5 -> 6: 1 deleted, 2 added"), "%s", b);
	free(a);
	free(b);

	static const uint8_t QNAME[] = "\7example\3com";
	struct axfr_query q = { .id = 1, .qname = QNAME, .qname_len = sizeof QNAME,
				.qtype = RR_IXFR, .qclass = RR_CLASS_IN };
	struct soas got = { 0 };
	char err[256];
	cr_assert_gt(jr_write_ixfr(diff, 5, c6.s, &q, 65535, soa_serials, &got, err, sizeof err),
		     0, "%s", err);
	cr_assert_eq(got.n, 4);
	cr_assert_eq(got.v[0], 6);
	cr_assert_eq(got.v[1], 5);
	cr_assert_eq(got.v[2], 6);
	cr_assert_eq(got.v[3], 6);
	jr_free(walk);
	jr_free(diff);
	step_free(&s);
	zt_cz_free(&c5);
	zt_cz_free(&c6);
}
