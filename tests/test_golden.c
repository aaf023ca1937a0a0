/*
 * test_golden.c - golden scenarios for the answer engine: every .txt file
 * in tests/golden/ names its zones and lists queries with the response
 * expected by the RFCs, written by hand (see tests/golden/README
 * for the format).  Each query goes through ans_respond and the response is
 * compared with the expectation: RCODE, flags, question echo (case-exact),
 * OPT, and each section as a set of records.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/answer.h"
#include "zones/compile.h"
#include "zones/dname.h"
#include "tests/dnsmsg.h"
#include "zones/snap.h"
#include "tests/zt.h"

#define MAXZONES 8
#define MAXREC 64

struct expect {
	char title[256];
	unsigned line;
	struct dm_q q;
	bool dropped;		/* "response none" */
	unsigned rcode;
	char flags[64];
	char opt[256];		/* "*" = not compared */
	char *rr[DM_NSECT][MAXREC];
	size_t nrr[DM_NSECT];
};

struct gfile {
	const char *path;
	struct zt zt[MAXZONES];
	void *image[MAXZONES];
	struct snap *snap[MAXZONES];
	size_t nzones;
	struct zidx *root;
};

static char srcdir[512];

/* Collapses runs of blanks to one space and trims both ends, in place. */
static void squash(char *s)
{
	char *w = s;
	bool sp = false;
	for (const char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n') {
			sp = w != s;
			continue;
		}
		if (sp)
			*w++ = ' ';
		sp = false;
		*w++ = *r;
	}
	*w = 0;
}

/* A record line as dnsmsg writes them: owner lowercased. */
static char *norm_record(const char *line)
{
	char *r = strdup(line);
	squash(r);
	for (char *p = r; *p && *p != ' '; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return r;
}

static bool rec_match(const char *want, const char *got)
{
	size_t l = strlen(want);
	if (l >= 4 && strcmp(want + l - 4, " ...") == 0)
		return strncmp(want, got, l - 3) == 0;
	return strcmp(want, got) == 0;
}

static bool opt_match(const char *want, const char *got)
{
	size_t l = strlen(want);
	if (strcmp(want, "*") == 0)
		return true;
	if (l >= 3 && strcmp(want + l - 3, "...") == 0)
		return strncmp(want, got, l - 3) == 0;
	return strcmp(want, got) == 0;
}

static void load_zone(struct gfile *g, const char *origin, const char *file)
{
	char path[1024], err[256];
	size_t i = g->nzones++, size = 0;
	cr_assert_lt(i, MAXZONES);
	snprintf(path, sizeof path, "%s/tests/data/%s", srcdir, file);
	zt_load_file(&g->zt[i], origin, path);
	cr_assert_eq(g->zt[i].errors, 0, "%s: %s", path, g->zt[i].msgs);
	cr_assert_eq(zc_compile(g->zt[i].z, &g->image[i], &size, err, sizeof err), 0,
		     "zc_compile %s: %s", path, err);
	cr_assert_eq(snap_open(g->image[i], size, &g->snap[i], err, sizeof err), 0,
		     "snap_open %s: %s", path, err);
}

/* Compares one expected section with the response's; appends differences. */
static int cmp_section(const struct expect *e, const struct dm_resp *r, int s, char *out,
		       size_t cap)
{
	bool used[1024] = { 0 };
	int n = 0;
	for (size_t i = 0; i < e->nrr[s]; i++) {
		size_t j;
		for (j = 0; j < r->nrr[s] && j < 1024; j++)
			if (!used[j] && rec_match(e->rr[s][i], r->rr[s][j]))
				break;
		if (j < r->nrr[s] && j < 1024) {
			used[j] = true;
			continue;
		}
		n++;
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "    %s: missing: %s\n", dm_sect_name[s], e->rr[s][i]);
	}
	for (size_t j = 0; j < r->nrr[s]; j++) {
		if (j < 1024 && used[j])
			continue;
		n++;
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "    %s: unexpected: %s\n", dm_sect_name[s], r->rr[s][j]);
	}
	return n;
}

static const struct ans_cfg cfg = {
	.max_udp = 1232,
	.identity = "ringdns-test",
	.version = "ringdns-test-1",
};

/* Runs one case; returns true when the response is as expected. */
static bool run_case(const struct gfile *g, const struct expect *e)
{
	static uint8_t qb[1024], ob[65536];
	static char diff[1 << 15], dump[1 << 17];
	size_t ql = dm_q_build(&e->q, qb, sizeof qb);
	struct ans_req req = { .q = qb, .qlen = ql, .tcp = e->q.tcp };
	size_t ol = ans_respond(g->root, &cfg, &req, ob, sizeof ob, NULL);
	diff[0] = 0;
	if (e->dropped || ol == 0) {
		if (e->dropped && ol == 0)
			return true;
		fprintf(stderr, "--- FAIL %s:%u: %s\n  query: %s\n  %s\n", g->path, e->line,
			e->title, e->q.spec, e->dropped ? "expected no response, got one"
							 : "no response (dropped)");
		return false;
	}
	struct dm_resp r;
	dm_parse(ob, ol, &r);
	int n = 0;
	char buf[600];
	if (!r.ok) {
		n++;
		snprintf(diff, sizeof diff, "    unparsable response: %s\n", r.err);
	} else {
		size_t l;
		if (r.rcode != e->rcode) {
			n++;
			l = strlen(diff);
			snprintf(diff + l, sizeof diff - l, "    rcode: expected %s, got %s\n",
				 dm_rcode_name(e->rcode), dm_rcode_name(r.rcode));
		}
		dm_flags_text(&r, buf, sizeof buf);
		if (strcmp(buf, e->flags) != 0) {
			n++;
			l = strlen(diff);
			snprintf(diff + l, sizeof diff - l, "    flags: expected [%s], got [%s]\n",
				 e->flags, buf);
		}
		if (r.id != e->q.id || r.opcode != e->q.opcode) {
			n++;
			l = strlen(diff);
			snprintf(diff + l, sizeof diff - l, "    id/opcode not echoed\n");
		}
		/* RFC 1035 §4.1.2 and the 0x20 practice: the question is echoed
		 * exactly as sent */
		char qn[DNAME_TEXT_MAX];
		dname_to_text(qn, sizeof qn, e->q.name);
		bool qok = e->q.noqd ? r.qdcount == 0
				     : r.qdcount == 1 && strcmp(r.qname, qn) == 0 &&
					       r.qtype == e->q.type && r.qclass == e->q.cls;
		if (!qok) {
			n++;
			l = strlen(diff);
			snprintf(diff + l, sizeof diff - l,
				 "    question: expected '%s' %u/%u, got %u × '%s' %u/%u\n", qn,
				 e->q.type, e->q.cls, r.qdcount, r.qname, r.qtype, r.qclass);
		}
		dm_opt_text(&r, buf, sizeof buf);
		if (!opt_match(e->opt, buf)) {
			n++;
			l = strlen(diff);
			snprintf(diff + l, sizeof diff - l, "    opt: expected %s, got %s\n", e->opt,
				 buf);
		}
		for (int s = 0; s < DM_NSECT; s++)
			n += cmp_section(e, &r, s, diff, sizeof diff);
	}
	if (n) {
		dm_resp_print(&r, dump, sizeof dump);
		fprintf(stderr, "--- FAIL %s:%u: %s\n  query: %s\n%s  response:\n%s", g->path,
			e->line, e->title, e->q.spec, diff, dump);
	}
	dm_resp_free(&r);
	return n == 0;
}

static void free_expect(struct expect *e)
{
	for (int s = 0; s < DM_NSECT; s++)
		for (size_t i = 0; i < e->nrr[s]; i++)
			free(e->rr[s][i]);
	memset(e, 0, sizeof *e);
}

/* Parses and runs one golden file; returns the number of failed cases and
 * adds the number of cases to *ncases. */
static unsigned run_file(const char *path, unsigned *ncases)
{
	static struct gfile g;
	memset(&g, 0, sizeof g);
	g.path = path;
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	static struct expect e;
	memset(&e, 0, sizeof e);
	bool in_case = false;
	int sect = -1;
	unsigned lineno = 0, failed = 0;
	char line[2048], err[256];
	while (fgets(line, sizeof line, f)) {
		lineno++;
		bool indented = line[0] == ' ' || line[0] == '\t';
		squash(line);
		if (!line[0] || line[0] == '#')
			continue;
		char *arg = strchr(line, ' ');
		arg = arg ? arg + 1 : line + strlen(line);
		if (indented) {
			cr_assert(in_case && sect >= 0, "%s:%u: record outside a section", path,
				  lineno);
			cr_assert_lt(e.nrr[sect], MAXREC, "%s:%u: too many records", path, lineno);
			e.rr[sect][e.nrr[sect]++] = norm_record(line);
		} else if (strncmp(line, "zone ", 5) == 0) {
			cr_assert(!in_case && !g.root, "%s:%u: zones come first", path, lineno);
			char *origin = arg, *file = strchr(arg, ' ');
			cr_assert_not_null(file, "%s:%u: zone ORIGIN FILE", path, lineno);
			*file++ = 0;
			load_zone(&g, origin, file);
		} else if (strncmp(line, "case ", 5) == 0) {
			cr_assert(!in_case, "%s:%u: case inside a case", path, lineno);
			if (!g.root) {
				g.root = zidx_new(g.snap, g.nzones);
				cr_assert_not_null(g.root);
			}
			memset(&e, 0, sizeof e);
			snprintf(e.title, sizeof e.title, "%s", arg);
			snprintf(e.flags, sizeof e.flags, "qr");
			snprintf(e.opt, sizeof e.opt, "none");
			e.line = lineno;
			in_case = true;
			sect = -1;
		} else if (!in_case) {
			cr_assert_fail("%s:%u: '%s' outside a case", path, lineno, line);
		} else if (strncmp(line, "query ", 6) == 0) {
			cr_assert_eq(dm_q_parse(arg, &e.q, err, sizeof err), 0, "%s:%u: %s", path,
				     lineno, err);
		} else if (strcmp(line, "response none") == 0) {
			e.dropped = true;
		} else if (strncmp(line, "rcode ", 6) == 0) {
			cr_assert_eq(dm_rcode_from_text(arg, &e.rcode), 0, "%s:%u: bad rcode",
				     path, lineno);
		} else if (strncmp(line, "flags", 5) == 0) {
			snprintf(e.flags, sizeof e.flags, "%s", line[5] ? arg : "");
		} else if (strncmp(line, "opt ", 4) == 0) {
			snprintf(e.opt, sizeof e.opt, "%s", arg);
		} else if (strcmp(line, "answer") == 0) {
			sect = DM_AN;
		} else if (strcmp(line, "authority") == 0) {
			sect = DM_NS;
		} else if (strcmp(line, "additional") == 0) {
			sect = DM_AR;
		} else if (strcmp(line, "end") == 0) {
			cr_assert(e.q.spec[0], "%s:%u: case without a query", path, lineno);
			(*ncases)++;
			if (!run_case(&g, &e))
				failed++;
			free_expect(&e);
			in_case = false;
		} else {
			cr_assert_fail("%s:%u: unknown line '%s'", path, lineno, line);
		}
	}
	fclose(f);
	cr_assert(!in_case, "%s: last case has no 'end'", path);
	zidx_free(g.root);
	for (size_t i = 0; i < g.nzones; i++) {
		snap_close(g.snap[i]);
		free(g.image[i]);
		zt_free(&g.zt[i]);
	}
	return failed;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(golden, scenarios, .timeout = 120)
{
	const char *s = getenv("SRCDIR");
	snprintf(srcdir, sizeof srcdir, "%s", s ? s : ".");
	char dir[600];
	snprintf(dir, sizeof dir, "%s/tests/golden", srcdir);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	char *names[64];
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0 && n < 64)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_name);
	cr_assert_gt(n, 0, "no golden files in %s", dir);
	unsigned ncases = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		failed += run_file(path, &ncases);
		free(names[i]);
	}
	fprintf(stderr, "golden: %zu files, %u cases, %u failed\n", n, ncases, failed);
	cr_expect_eq(failed, 0, "%u of %u golden cases failed (see above)", failed, ncases);
}
