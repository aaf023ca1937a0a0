/*
 * test_checkzone.c - `ringctl check-zone` end to end: the real binary on
 * good zones, broken zones and hostile input, checking exit status, the
 * FILE:LINE messages, and that time and memory stay bounded.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/zt.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "zones/limits.h"
#include "zones/rrtype.h"

static char tmpdir[64];

static void mk_tmp(void)
{
	zt_mktmp(tmpdir, "cz");
}

static void rm_tmp(void)
{
	zt_rmtmp(tmpdir);
}

struct run {
	int status;		/* exit status, or 128+signal */
	char out[65536];	/* stdout and stderr together */
	long maxrss_kb;
	bool timed_out;
};

/* Runs ringctl with args (NULL-terminated) under a 30 s alarm; as an
 * unprivileged user when drop_root (so permission checks apply to root). */
static void run_ringctl5(struct run *r, bool drop_root, const char *a1, const char *a2,
			 const char *a3, const char *a4, const char *a5)
{
	const char *bin = getenv("RINGCTL");
	cr_assert_not_null(bin, "RINGCTL must name the ringctl binary");
	char outpath[128], copy[128];
	snprintf(outpath, sizeof outpath, "%s/.out", tmpdir);
	if (drop_root && geteuid() == 0) {
		/* the unprivileged user may not reach the build tree */
		char cmd[4300];
		snprintf(copy, sizeof copy, "%s/ringctl", tmpdir);
		snprintf(cmd, sizeof cmd, "cp '%s' %s && chmod 755 %s", bin, copy, copy);
		cr_assert_eq(system(cmd), 0);
		bin = copy;
	}
	memset(r, 0, sizeof *r);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		if (drop_root && geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(125);
		alarm(30);
		execl(bin, bin, a1, a2, a3, a4, a5, (char *)NULL);
		_exit(126);
	}
	int st;
	struct rusage ru;
	cr_assert_eq(wait4(pid, &st, 0, &ru), pid);
	r->maxrss_kb = ru.ru_maxrss;
	if (WIFEXITED(st)) {
		r->status = WEXITSTATUS(st);
	} else {
		r->status = 128 + WTERMSIG(st);
		r->timed_out = WTERMSIG(st) == SIGALRM;
	}
	FILE *f = fopen(outpath, "r");
	cr_assert_not_null(f);
	size_t n = fread(r->out, 1, sizeof r->out - 1, f);
	r->out[n] = 0;
	fclose(f);
}

#define has_out(r, s) cr_assert(strstr((r)->out, s), "expected '%s' in:\n%s", s, (r)->out)

/* Every run: no crash, no hang, bounded memory. */
static void run_ringctl(struct run *r, bool drop_root, const char *a1, const char *a2,
			const char *a3, const char *a4)
{
	run_ringctl5(r, drop_root, a1, a2, a3, a4, NULL);
}

static void bounded(const struct run *r)
{
	cr_assert(!r->timed_out, "ringctl hung");
	cr_assert_lt(r->status, 128, "ringctl died by signal %d:\n%s", r->status - 128, r->out);
	cr_assert_lt(r->maxrss_kb, 256 * 1024, "peak RSS %ld KiB", r->maxrss_kb);
}

#define HEAD "$TTL 300\n@ SOA ns1 hostmaster 2026112401 7200 3600 1209600 300\n@ NS ns1\nns1 A 198.51.100.1\n"

TestSuite(checkzone, .init = mk_tmp, .fini = rm_tmp);

Test(checkzone, valid_zone_summary)
{
	const char *p = zt_write(tmpdir, "ok.zone", HEAD "www A 198.51.100.2\nwww AAAA 2001:db8::2\n");
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	has_out(&r, "OK: zone example.com., 5 records, 3 names, 5 RRsets, serial 2026112401, unsigned");
}

Test(checkzone, signed_zone_summary)
{
	const char *p = zt_write(tmpdir, "s.zone", HEAD
		"@ NSEC3PARAM 1 0 0 -\n"
		"@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n");
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com.", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	has_out(&r, "signed (NSEC3)");
}

/* ringctl check-zone on a signed zone whose NSEC3PARAM RDATA is param
 * (line 5 of file name); r gets what it said.  Returns the path. */
static const char *check_nsec3param(const char *name, const char *param, struct run *r)
{
	char text[1024];
	snprintf(text, sizeof text, HEAD "@ NSEC3PARAM %s\n"
		 "@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n",
		 param);
	const char *p = zt_write(tmpdir, name, text);
	run_ringctl(r, false, "check-zone", "example.com.", p, NULL);
	bounded(r);
	return p;
}

Test(checkzone, nsec3_iterations_and_salt_warned)
{
	/* RFC 9276 §3.1: iterations 0 and no salt; more is a warning at the
	 * NSEC3PARAM's line, and the zone still loads */
	struct run r;
	const char *p = check_nsec3param("i.zone", "1 0 10 AABBCCDD", &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	char want[256];
	snprintf(want, sizeof want, "%s:5: warning: NSEC3PARAM with 10 iterations: RFC 9276 §3.1 "
		 "asks for 0", p);
	has_out(&r, want);
	snprintf(want, sizeof want, "%s:5: warning: NSEC3PARAM with a 4-byte salt: RFC 9276 §3.1 "
		 "asks for none", p);
	has_out(&r, want);
	has_out(&r, "2 warnings");
}

Test(checkzone, nsec3_iterations_past_rfc5155_refused)
{
	/* RFC 5155 §10.3: at most 2500 iterations; more is an error */
	struct run r;
	const char *p = check_nsec3param("i2.zone", "1 0 2501 -", &r);
	cr_assert_neq(r.status, 0, "%s", r.out);
	char want[256];
	snprintf(want, sizeof want, "%s:5: error: NSEC3PARAM with 2501 iterations: RFC 5155 "
		 "§10.3 allows at most 2500", p);
	has_out(&r, want);
}

Test(checkzone, several_errors_one_run)
{
	const char *p = zt_write(tmpdir, "bad.zone", HEAD
		"a A 198.51.100.300\n"
		"b MX ten mail\n"
		"c CNAME x\nc TXT hi\n");
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	char want[256];
	snprintf(want, sizeof want, "%s:5: error: A record:", p);
	has_out(&r, want);
	snprintf(want, sizeof want, "%s:6: error: MX record:", p);
	has_out(&r, want);
	snprintf(want, sizeof want, "%s:7: error: CNAME at c.example.com. beside other data", p);
	has_out(&r, want);
	has_out(&r, "3 errors, 0 warnings, zone rejected");
}

Test(checkzone, warnings_marked)
{
	const char *p = zt_write(tmpdir, "w.zone", HEAD "x A 198.51.100.5\nx A 198.51.100.5\n");
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 0);
	char want[256];
	snprintf(want, sizeof want, "%s:6: warning: duplicate A record", p);
	has_out(&r, want);
	has_out(&r, "(1 duplicates dropped, 1 warnings)");
}

Test(checkzone, binary_garbage)
{
	char path[128];
	snprintf(path, sizeof path, "%s/garbage.zone", tmpdir);
	FILE *f = fopen(path, "w");
	srand(7);
	for (int k = 0; k < 200000; k++)
		fputc(1 + rand() % 255, f);	/* no NUL: exercises the lexer */
	fclose(f);
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", path, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	has_out(&r, "error:");
	has_out(&r, "too many errors");
}

Test(checkzone, nul_byte)
{
	char path[128];
	snprintf(path, sizeof path, "%s/nul.zone", tmpdir);
	FILE *f = fopen(path, "w");
	fputs(HEAD "www A 198.51.100.2\nw", f);
	fputc(0, f);
	fputs("x A 198.51.100.3\n", f);
	fclose(f);
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", path, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	char want[256];
	snprintf(want, sizeof want, "%s:6: error: NUL byte", path);
	has_out(&r, want);
}

Test(checkzone, megabyte_line)
{
	char path[128];
	snprintf(path, sizeof path, "%s/long.zone", tmpdir);
	FILE *f = fopen(path, "w");
	fputs(HEAD "big TXT ", f);
	for (int k = 0; k < (3 << 20) + 100; k++)
		fputc('a' + k % 26, f);
	fputs("\nafter A 198.51.100.7\nbroken A x\n", f);
	fclose(f);
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", path, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	char want[256];
	snprintf(want, sizeof want, "%s:5: error: entry longer than 1048576 bytes", path);
	has_out(&r, want);
	snprintf(want, sizeof want, "%s:7: error: A record", path);
	has_out(&r, want);
}

Test(checkzone, include_hostile)
{
	zt_write(tmpdir, "loop1", "$INCLUDE loop2\n");
	zt_write(tmpdir, "loop2", "$INCLUDE loop1\n");
	const char *p = zt_write(tmpdir, "inc.zone", HEAD
		"$INCLUDE /dev/zero\n$INCLUDE loop1\n$INCLUDE .\n");
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	has_out(&r, "$INCLUDE /dev/zero: not a regular file");
	has_out(&r, "include loop");
	has_out(&r, "is a directory");
	has_out(&r, "3 errors");
}

Test(checkzone, unreadable_and_missing_and_directory)
{
	const char *p = zt_write(tmpdir, "secret.zone", HEAD);
	chmod(p, 0);
	struct run r;
	run_ringctl(&r, true, "check-zone", "example.com", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1, "%s", r.out);
	has_out(&r, "cannot open: Permission denied");

	run_ringctl(&r, false, "check-zone", "example.com", "/nonexistent/zone", NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	has_out(&r, "/nonexistent/zone: error: cannot open: No such file or directory");

	run_ringctl(&r, false, "check-zone", "example.com", tmpdir, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	has_out(&r, "is a directory");

	run_ringctl(&r, false, "check-zone", "example.com", "/dev/zero", NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1);
	has_out(&r, "not a regular file");
}

Test(checkzone, usage_errors)
{
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", NULL, NULL);
	cr_assert_eq(r.status, 2);
	has_out(&r, "usage: ringctl check-zone");
	run_ringctl(&r, false, "check-zone", "a..b", "x", NULL);
	cr_assert_eq(r.status, 2);
	has_out(&r, "bad origin");
	run_ringctl(&r, false, "frobnicate", NULL, NULL, NULL);
	cr_assert_eq(r.status, 2);
}

Test(checkzone, bundled_examples)
{
	const char *src = getenv("SRCDIR");
	cr_assert_not_null(src);
	const char *zones[][2] = {
		{"example.com", "example.com.zone"},
		{"example.net", "example.net.zone"},
	};
	for (size_t k = 0; k < 2; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/zones/examples/%s", src, zones[k][1]);
		struct run r;
		run_ringctl(&r, false, "check-zone", zones[k][0], path, NULL);
		bounded(&r);
		cr_assert_eq(r.status, 0, "%s", r.out);
		has_out(&r, ": OK: zone ");
	}
}

/* More records in one RRset than the snapshot format holds (limits.h):
 * check-zone refuses the zone at the RRset's first line, and the
 * compiler, given the zone anyway, fails with the same words. */
Test(checkzone, rrset_over_format_limit)
{
	size_t cap = (ZONE_RRSET_MAX + 1) * 16 + sizeof HEAD, len;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	len = (size_t)snprintf(text, cap, "%s", HEAD);
	for (unsigned i = 0; i <= ZONE_RRSET_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len, "t TXT \"%u\"\n", i);
	const char *p = zt_write(tmpdir, "big.zone", text);
	free(text);
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	bounded(&r);
	cr_assert_eq(r.status, 1, "%s", r.out);
	uint8_t owner[DNAME_MAX];
	cr_assert_geq(dname_from_text(owner, "t.example.com.", 14, NULL), 0);
	char msg[256], want[512];
	zone_limit_rrset_msg(msg, sizeof msg, owner, RR_TXT, ZONE_RRSET_MAX + 1);
	snprintf(want, sizeof want, "%s:5: error: %s", p, msg);
	has_out(&r, want);

	struct zt t;
	zt_load_file(&t, "example.com", p);
	cr_assert_eq(t.errors, 0, "%s", t.msgs);
	cr_assert_eq(zone_check_limits(t.z), 1);
	void *image = NULL;
	size_t size;
	char err[512];
	cr_assert_eq(zc_compile(t.z, &image, &size, err, sizeof err), -1);
	cr_assert_str_eq(err, msg);
	zt_free(&t);
}

/* The zone size limits: the server's defaults (limits.h), or the flags'. */
Test(checkzone, size_limits)
{
	const char *p = zt_write(tmpdir, "z.zone", HEAD "a A 198.51.100.1\nb A 198.51.100.2\n");
	struct run r;
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	run_ringctl5(&r, false, "check-zone", "--zone-max-records", "3", "example.com", p);
	cr_assert_eq(r.status, 1, "%s", r.out);
	has_out(&r, "error: more than 3 records (zone-max-records)");
	run_ringctl5(&r, false, "check-zone", "--zone-max-records", "100", "example.com", p);
	cr_assert_eq(r.status, 0, "%s", r.out);
	/* 1.2 MiB of TXT against a 1 MiB limit */
	size_t cap = 1300000, len = 0;
	char *text = malloc(cap);
	len = (size_t)snprintf(text, cap, "%s", HEAD);
	for (unsigned i = 0; len + 64 < cap - 64; i++)
		len += (size_t)snprintf(text + len, cap - len, "t%u TXT \"%040u\"\n", i, i);
	p = zt_write(tmpdir, "big.zone", text);
	free(text);
	run_ringctl5(&r, false, "check-zone", "--zone-max-mb", "1", "example.com", p);
	cr_assert_eq(r.status, 1, "%s", r.out);
	char want[256];
	snprintf(want, sizeof want, "%s: error: larger than 1 MiB (zone-max-mb)", p);
	has_out(&r, want);
	run_ringctl(&r, false, "check-zone", "example.com", p, NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	/* bad values are usage errors */
	run_ringctl5(&r, false, "check-zone", "--zone-max-mb", "0", "example.com", p);
	cr_assert_eq(r.status, 2, "%s", r.out);
	has_out(&r, "--zone-max-mb: '0' is not a number in 1..1048576");
	run_ringctl(&r, false, "check-zone", "--zone-max-records", NULL, NULL);
	cr_assert_eq(r.status, 2, "%s", r.out);
}
