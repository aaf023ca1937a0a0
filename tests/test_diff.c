/*
 * test_diff.c - differential test of the zone-file parser and printer
 * against a second implementation, BIND's named-compilezone:
 *   1. named reading ringdns's printout of a zone sees exactly the records
 *      named sees in the original file (our parse + print lose nothing);
 *   2. ringdns reading named's printout sees exactly the records ringdns
 *      sees in the original file (we parse named's spellings the same).
 * The zones cover every type ringdns knows, in many spellings.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/zt.h"

static char tmpdir[64];

static void mk_tmp(void)
{
	zt_mktmp(tmpdir, "diff");
}

static void rm_tmp(void)
{
	zt_rmtmp(tmpdir);
}

TestSuite(diff, .init = mk_tmp, .fini = rm_tmp, .timeout = 120);

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define NAMED_OPTS "-q -i none -k ignore -n ignore -m ignore -r ignore -M ignore " \
		   "-S ignore -T ignore -W ignore -s full"

/* Sorted-line comparison of two files; prints the difference on failure. */
static void same_records(const char *a, const char *b)
{
	int rc = sh("sort %s > %s.s && sort %s > %s.s && diff -u %s.s %s.s >&2", a, a, b, b,
		    a, b);
	cr_assert_eq(rc, 0, "record sets differ: %s vs %s (diff on stderr)", a, b);
}

static void run_diff(const char *origin, const char *dir, const char *file, int min_records)
{
	const char *ringctl = getenv("RINGCTL");
	cr_assert_not_null(ringctl);
	cr_assert_eq(sh("command -v named-compilezone >/dev/null"), 0,
		     "named-compilezone (bind9-utils) is needed for the differential test");
	/* named resolves $INCLUDE against its working directory */
	cr_assert_eq(chdir(dir), 0);

	cr_assert_eq(sh("%s check-zone --dump %s %s > %s/ours.txt", ringctl, origin, file, tmpdir), 0);
	cr_assert_eq(sh("named-compilezone " NAMED_OPTS " -o %s/ref.txt %s %s", tmpdir, origin, file), 0);
	cr_assert_eq(sh("named-compilezone " NAMED_OPTS " -o %s/ref2.txt %s %s/ours.txt", tmpdir,
			origin, tmpdir), 0, "named could not read ringdns's printout");
	char a[256], b[256];
	snprintf(a, sizeof a, "%s/ref.txt", tmpdir);
	snprintf(b, sizeof b, "%s/ref2.txt", tmpdir);
	same_records(a, b);

	cr_assert_eq(sh("%s check-zone --dump %s %s/ref.txt > %s/ours2.txt", ringctl, origin,
			tmpdir, tmpdir), 0, "ringdns could not read named's printout");
	snprintf(a, sizeof a, "%s/ours.txt", tmpdir);
	snprintf(b, sizeof b, "%s/ours2.txt", tmpdir);
	same_records(a, b);

	cr_assert_eq(sh("test $(wc -l < %s/ours.txt) -ge %d", tmpdir, min_records), 0,
		     "fewer records than expected");
}

Test(diff, every_type_against_named)
{
	char dir[4096];
	const char *src = getenv("SRCDIR");
	cr_assert_not_null(src);
	snprintf(dir, sizeof dir, "%s/tests/data/diff", src);
	run_diff("example.org", dir, "alltypes.zone", 80);
}

Test(diff, examples_against_named)
{
	char dir[4096];
	const char *src = getenv("SRCDIR");
	cr_assert_not_null(src);
	snprintf(dir, sizeof dir, "%s/zones/examples", src);
	run_diff("example.com", dir, "example.com.zone", 10);
	run_diff("example.net", dir, "example.net.zone", 10);
}

/* A generated zone of realistic shape (bench/genzone), 20k records. */
Test(diff, generated_zone_against_named)
{
	const char *gen = getenv("GENZONE");
	cr_assert_not_null(gen, "GENZONE must name bench/genzone");
	cr_assert_eq(sh("%s example.com. 20000 42 > %s/gen.zone", gen, tmpdir), 0);
	run_diff("example.com", tmpdir, "gen.zone", 20000);
}
