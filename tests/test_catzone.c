/*
 * test_catzone.c - reading catalog zones (control/catzone.c, RFC 9432):
 * members with their properties, read alike from a compiled image and
 * from the zone file, and every way a catalog is broken.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "control/catzone.h"
#include "tests/zt.h"
#include "zones/dname.h"

static const char head[] =
	"$ORIGIN cat.example.\n"
	"$TTL 0\n"
	"@ SOA invalid. hostmaster.invalid. 1 3600 600 86400 0\n"
	"@ NS invalid.\n";

static char dir[64];

static void setup(void)
{
	zt_mktmp(dir, "catz");
}

static void teardown(void)
{
	zt_rmtmp(dir);
}

TestSuite(catz, .init = setup, .fini = teardown);

static struct catz *fresh(void)
{
	uint8_t origin[DNAME_MAX];
	cr_assert(dname_from_text(origin, "cat.example.", 12, NULL) > 0);
	struct catz *z = catz_new(origin);
	cr_assert_not_null(z);
	return z;
}

/* The catalog head + body read from its compiled image and from its
 * file: both must agree; returns the image's reading (catz_finish's
 * result in *rc, its reason in err). */
static struct catz *read_both(const char *body, int *rc, char *err, size_t cap)
{
	static struct zt_serve s;
	char text[8192], ferr[512];
	snprintf(text, sizeof text, "%s%s", head, body);
	zt_serve_free(&s);
	memset(&s, 0, sizeof s);
	cr_assert_eq(zt_serve_add(&s, "cat.example.", text, NULL, err, cap), 0, "%s", err);
	struct catz *a = fresh(), *b = fresh();
	cr_assert_eq(catz_add_snap(a, s.snaps[0]), 0);
	const char *path = zt_write(dir, "cat.zone", text);
	cr_assert_eq(catz_add_file(b, path, ferr, sizeof ferr), 0, "%s", ferr);
	*rc = catz_finish(a, err, cap);
	cr_assert_eq(catz_finish(b, ferr, sizeof ferr), *rc, "image and file disagree");
	if (*rc != 0)
		cr_assert_str_eq(ferr, err);
	cr_assert_eq(catz_count(a), catz_count(b));
	for (size_t i = 0; *rc == 0 && i < catz_count(a); i++) {
		const struct catz_member *x = catz_get(a, i), *y = catz_get(b, i);
		cr_assert_str_eq(x->zone, y->zone);
		cr_assert_eq(memcmp(x->id, y->id, 1u + x->id[0]), 0);
		cr_assert_str_eq(x->coo, y->coo);
		cr_assert_eq(x->ngroups, y->ngroups);
	}
	catz_free(b);
	zt_serve_free(&s);
	memset(&s, 0, sizeof s);
	return a;
}

static struct catz *valid(const char *body)
{
	char err[512];
	int rc;
	struct catz *z = read_both(body, &rc, err, sizeof err);
	cr_assert_eq(rc, 0, "refused: %s", err);
	return z;
}

static void refused(const char *body, const char *needle)
{
	char err[512];
	int rc;
	struct catz *z = read_both(body, &rc, err, sizeof err);
	cr_assert_eq(rc, -1, "accepted:\n%s", body);
	cr_assert(strstr(err, needle), "want '%s' in '%s'", needle, err);
	catz_free(z);
}

static void check_id(const struct catz_member *m, const char *want)
{
	char id[128];
	catz_id_text(m, id, sizeof id);
	cr_assert_str_eq(id, want);
}

Test(catz, members_and_properties)
{
	struct catz *z = valid("version TXT \"2\"\n"
			       "m1.zones PTR b.example.\n"
			       "M2.zones PTR A.Example.\n"
			       "group.m2.zones TXT \"signed\"\n"
			       "group.m2.zones TXT \"fast\" \"lane\"\n"
			       "coo.m1.zones PTR new.cat.\n"
			       "m3.zones PTR c.example.\n"
			       "ext.m3.zones TXT \"custom\"\n"
			       "xyz.ext TXT \"ignored\"\n"
			       "m3.zones TXT \"not a member record\"\n"
			       "group.gone.zones TXT \"no such member\"\n"
			       "deep.group.m3.zones TXT \"too deep\"\n");
	cr_assert_eq(catz_count(z), 3);
	/* in zone name order, names and ids lowercased */
	const struct catz_member *m = catz_get(z, 0);
	cr_assert_str_eq(m->zone, "a.example.");
	check_id(m, "m2");
	cr_assert_eq(m->ngroups, 2);
	cr_assert_str_eq(m->groups[0], "fastlane");
	cr_assert_str_eq(m->groups[1], "signed");
	cr_assert_str_eq(m->coo, "");
	m = catz_get(z, 1);
	cr_assert_str_eq(m->zone, "b.example.");
	check_id(m, "m1");
	cr_assert_eq(m->ngroups, 0);
	cr_assert_str_eq(m->coo, "new.cat.");
	m = catz_get(z, 2);
	cr_assert_str_eq(m->zone, "c.example.");
	cr_assert_eq(m->ngroups, 0);
	cr_assert_eq(catz_find(z, "c.example."), m);
	cr_assert_null(catz_find(z, "d.example."));
	catz_free(z);

	/* a catalog without members is valid */
	z = valid("version TXT \"2\"\n");
	cr_assert_eq(catz_count(z), 0);
	catz_free(z);
}

Test(catz, version)
{
	refused("m1.zones PTR b.example.\n", "no version TXT record (RFC 9432 §4.2.1");
	refused("version TXT \"1\"\nm1.zones PTR b.example.\n",
		"schema version \"1\" (only version \"2\"");
	refused("version TXT \"2\"\nversion TXT \"1\"\n", "2 version TXT records");
	/* a version somewhere else is no version */
	refused("version.zones TXT \"2\"\n", "no version TXT record");
}

Test(catz, broken_members)
{
	refused("version TXT \"2\"\nm1.zones PTR b.example.\nm1.zones PTR c.example.\n",
		"member node m1 has more than one PTR record (RFC 9432 §4.1");
	/* the same id, spelled in another case */
	refused("version TXT \"2\"\nm1.zones PTR b.example.\nM1.zones PTR c.example.\n",
		"member node m1 has more than one PTR record");
	refused("version TXT \"2\"\nm1.zones PTR b.example.\nm2.zones PTR B.example.\n",
		"member nodes m1 and m2 both name zone b.example.");
	refused("version TXT \"2\"\nm1.zones PTR b.example.\ncoo.m1.zones PTR x.\n"
		"coo.m1.zones PTR y.\n",
		"member node m1 (zone b.example.) has more than one coo PTR record");
}

Test(catz, file_errors)
{
	struct catz *z = fresh();
	char err[512], path[128];
	snprintf(path, sizeof path, "%s/missing.zone", dir);
	cr_assert_eq(catz_add_file(z, path, err, sizeof err), -1);
	cr_assert(strstr(err, "missing.zone"), "%s", err);
	const char *bad = zt_write(dir, "bad.zone", "$ORIGIN cat.example.\n@ SOA x\n");
	cr_assert_eq(catz_add_file(z, bad, err, sizeof err), -1);
	cr_assert(strstr(err, "bad.zone:2: "), "%s", err);
	catz_free(z);
}

Test(catz, file_names)
{
	static const char *const cases[][2] = {
		{ "example.com.", "example.com.zone" },
		{ ".", "root.zone" },
		{ "a/b.test.", "a%2fb.test.zone" },
		{ "a\\.b.test.", "a%5c.b.test.zone" },
		{ "x\\047..\\047y.test.", "x%5c047..%5c047y.test.zone" },
		{ "my_zone-1.test.", "my_zone-1.test.zone" },
	};
	char out[CATZ_FILE_NAME_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		catz_file_name(cases[i][0], out, sizeof out);
		cr_assert_str_eq(out, cases[i][1]);
		cr_assert_null(strchr(out, '/'));
	}
	/* the longest name fits */
	char zone[CATZ_NAME_MAX];
	memset(zone, '/', sizeof zone - 2);
	zone[sizeof zone - 2] = '.';
	zone[sizeof zone - 1] = 0;
	catz_file_name(zone, out, sizeof out);
	cr_assert_eq(strlen(out), 3 * (sizeof zone - 2) + 1 + 4);
}
